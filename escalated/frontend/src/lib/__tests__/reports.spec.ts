import { describe, expect, it } from 'vitest'

import { formatHours, formatRate, formatRating } from '../reports'

describe('report formats', () => {
  it('shows rates as percentages', () => {
    expect(formatRate(0.1234)).toBe('12.3%')
    expect(formatRate(0)).toBe('0%')
    expect(formatRate(1)).toBe('100%')
  })

  it('shows durations in the unit that reads best', () => {
    expect(formatHours(0.25)).toBe('15 min')
    expect(formatHours(3.46)).toBe('3.5 h')
    expect(formatHours(72)).toBe('3 d')
  })

  it('shows ratings out of five', () => {
    expect(formatRating(4.256)).toBe('4.3 / 5')
  })

  it('uses a dash when there is nothing to measure', () => {
    expect([formatRate(null), formatHours(null), formatRating(undefined)]).toEqual(['—', '—', '—'])
  })
})
