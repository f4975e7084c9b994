/** Attachment limits (ESCALATED MAX_ATTACHMENTS / MAX_ATTACHMENT_SIZE_KB), checked before upload. */

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  const units = ['KB', 'MB', 'GB']
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit += 1
  }
  // One decimal under 10 ("1.5 MB"), none above or when it is ".0" ("2 KB", "10 MB").
  const text = value < 10 ? value.toFixed(1).replace(/\.0$/, '') : value.toFixed(0)
  return `${text} ${units[unit]}`
}

export interface FileCheck {
  accepted: File[]
  errors: string[]
}

/**
 * Add `incoming` to the files already chosen, within the limits. Files that do not fit
 * are left out, each with a message saying why.
 */
export function addFiles(
  current: readonly File[],
  incoming: Iterable<File>,
  limits: { maxFiles: number; maxSizeKb: number },
): FileCheck {
  const accepted = [...current]
  const errors: string[] = []
  const maxBytes = limits.maxSizeKb * 1024
  for (const file of incoming) {
    if (file.size > maxBytes) {
      errors.push(
        `"${file.name}" is ${formatBytes(file.size)}; each file must be ${formatBytes(maxBytes)} or less.`,
      )
      continue
    }
    if (accepted.some((f) => f.name === file.name && f.size === file.size)) continue
    if (accepted.length >= limits.maxFiles) {
      errors.push(
        `"${file.name}" was not added: you can attach up to ${limits.maxFiles} file${limits.maxFiles === 1 ? '' : 's'}.`,
      )
      continue
    }
    accepted.push(file)
  }
  return { accepted, errors }
}
