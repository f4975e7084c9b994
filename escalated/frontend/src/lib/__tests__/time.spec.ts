// @vitest-environment node
import { describe, expect, it } from 'vitest'

import { describeDuration, formatDuration, formatRelative } from '../time'

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [45, '45s'],
    [65, '1m 05s'],
    [3600, '1h'],
    [3 * 3600 + 12 * 60 + 30, '3h 12m'],
    [86_400, '1d'],
    [2 * 86_400 + 3 * 3600 + 59, '2d 3h'],
    [-125, '2m 05s'],
  ])('%i s → %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text)
  })
})

describe('describeDuration', () => {
  it('spells out the two largest units', () => {
    expect(describeDuration(2 * 86_400 + 3 * 3600 + 60)).toBe('2 days 3 hours')
    expect(describeDuration(61)).toBe('1 minute 1 second')
    expect(describeDuration(0)).toBe('0 seconds')
  })
})

describe('formatRelative', () => {
  const now = Date.parse('2025-03-10T12:00:00Z')
  it('says "just now" for the last few seconds', () => {
    expect(formatRelative('2025-03-10T11:59:50Z', now)).toBe('just now')
  })
  it('uses the largest fitting unit', () => {
    expect(formatRelative('2025-03-10T09:00:00Z', now, 'en')).toBe('3 hours ago')
    expect(formatRelative('2025-03-12T12:00:00Z', now, 'en')).toBe('in 2 days')
  })
  it('is empty for a missing date', () => {
    expect(formatRelative(null, now)).toBe('')
  })
})
