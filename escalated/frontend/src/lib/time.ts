/** Date and duration formatting (no dependency: Intl does the locale work). */

export function parseIso(value: string | null | undefined): number | null {
  if (!value) return null
  const ms = Date.parse(value)
  return Number.isNaN(ms) ? null : ms
}

const pad = (n: number) => String(n).padStart(2, '0')

/**
 * A compact duration for countdowns: "2d 3h", "3h 12m", "12m 05s", "45s".
 * Seconds are shown only under an hour, where they still matter.
 */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(Math.abs(totalSeconds)))
  const days = Math.floor(s / 86_400)
  const hours = Math.floor((s % 86_400) / 3_600)
  const minutes = Math.floor((s % 3_600) / 60)
  const seconds = s % 60
  if (days > 0) return hours ? `${days}d ${hours}h` : `${days}d`
  if (hours > 0) return minutes ? `${hours}h ${minutes}m` : `${hours}h`
  if (minutes > 0) return `${minutes}m ${pad(seconds)}s`
  return `${seconds}s`
}

/** Spoken form of the same duration for screen readers: "2 days 3 hours". */
export function describeDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(Math.abs(totalSeconds)))
  const parts: [number, string][] = [
    [Math.floor(s / 86_400), 'day'],
    [Math.floor((s % 86_400) / 3_600), 'hour'],
    [Math.floor((s % 3_600) / 60), 'minute'],
  ]
  if (s < 3_600) parts.push([s % 60, 'second'])
  const words = parts
    .filter(([n]) => n > 0)
    .slice(0, 2)
    .map(([n, unit]) => `${n} ${unit}${n === 1 ? '' : 's'}`)
  return words.length ? words.join(' ') : '0 seconds'
}

export function formatDateTime(value: string | null | undefined, locale?: string): string {
  const ms = parseIso(value)
  if (ms === null) return ''
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(ms)
}

const RELATIVE_STEPS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 31_536_000],
  ['month', 2_592_000],
  ['week', 604_800],
  ['day', 86_400],
  ['hour', 3_600],
  ['minute', 60],
]

/** "3 hours ago", "in 2 days", "just now". */
export function formatRelative(
  value: string | null | undefined,
  now: number = Date.now(),
  locale?: string,
): string {
  const ms = parseIso(value)
  if (ms === null) return ''
  const diff = Math.round((ms - now) / 1000)
  if (Math.abs(diff) < 45) return 'just now'
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' })
  for (const [unit, size] of RELATIVE_STEPS) {
    if (Math.abs(diff) >= size) return rtf.format(Math.round(diff / size), unit)
  }
  return rtf.format(Math.round(diff / 60), 'minute')
}
