/** Number formats of the reports page ("—" when there is nothing to measure). */

const NONE = '—'

/** 0.1234 → "12.3%" */
export function formatRate(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return NONE
  return `${(rate * 100).toFixed(1).replace(/\.0$/, '')}%`
}

/** Hours as "45 min", "3.5 h" or "2.1 d". */
export function formatHours(hours: number | null | undefined): string {
  if (hours === null || hours === undefined || !Number.isFinite(hours)) return NONE
  if (hours < 1) return `${Math.round(hours * 60)} min`
  if (hours < 48) return `${(Math.round(hours * 10) / 10).toString()} h`
  return `${(Math.round((hours / 24) * 10) / 10).toString()} d`
}

/** 4.256 → "4.3 / 5" */
export function formatRating(average: number | null | undefined): string {
  if (average === null || average === undefined || !Number.isFinite(average)) return NONE
  return `${average.toFixed(1)} / 5`
}
