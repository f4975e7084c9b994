/** Insert `insert` into `text` at the selection [start, end); returns the new text and caret. */
export function insertAtCursor(
  text: string,
  insert: string,
  start: number = text.length,
  end: number = start,
): { text: string; caret: number } {
  const s = Math.max(0, Math.min(start, text.length))
  const e = Math.max(s, Math.min(end, text.length))
  const before = text.slice(0, s)
  const after = text.slice(e)
  // Keep inserted blocks on their own paragraph when dropped mid-text.
  const lead = before && !before.endsWith('\n') && insert.includes('\n') ? '\n' : ''
  const value = `${before}${lead}${insert}${after}`
  return { text: value, caret: before.length + lead.length + insert.length }
}

/**
 * Replace `{{ key }}` placeholders (e.g. `{{ requester_name }}`, `{{ reference }}`) with
 * known values; unknown placeholders are left as they are for the agent to see.
 */
export function interpolate(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (match, key: string) =>
    Object.prototype.hasOwnProperty.call(values, key) ? (values[key] ?? match) : match,
  )
}
