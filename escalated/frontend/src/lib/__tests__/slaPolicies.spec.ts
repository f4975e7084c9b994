import { describe, expect, it } from 'vitest'

import {
  describeDays,
  describeSchedule,
  hoursDraft,
  scheduleDraft,
  schedulePayload,
} from '../slaPolicies'

const schedule = {
  id: 3,
  name: 'Paris office',
  timezone: 'Europe/Paris',
  start_time: '08:00',
  end_time: '18:00',
  days: [1, 2, 3, 4, 5],
  holidays: [{ id: 7, date: '2027-01-01', name: 'New Year' }],
}

describe('describeDays', () => {
  it.each([
    [[1, 2, 3, 4, 5], 'Mon–Fri'],
    [[5, 3, 1], 'Mon, Wed, Fri'],
    [[1, 2, 3, 6], 'Mon–Wed, Sat'],
    [[6, 7], 'Sat, Sun'],
    [[1, 2, 3, 4, 5, 6, 7], 'Every day'],
    [[], 'No days'],
  ])('%j → %s', (days, text) => {
    expect(describeDays(days)).toBe(text)
  })

  it('ignores duplicates and values that are not ISO weekdays', () => {
    expect(describeDays([1, 1, 2, 3, 0, 9])).toBe('Mon–Wed')
  })
})

describe('describeSchedule', () => {
  it('says days, hours and time zone', () => {
    expect(describeSchedule(schedule)).toBe('Mon–Fri 08:00–18:00 (Europe/Paris)')
  })

  it('names the fallback when the policy has no schedule', () => {
    expect(describeSchedule(null)).toBe('Default business hours')
  })
})

describe('schedule drafts', () => {
  it('starts a new schedule as a UTC office week', () => {
    expect(scheduleDraft(null)).toEqual({
      timezone: 'UTC',
      start_time: '09:00',
      end_time: '17:00',
      days: [1, 2, 3, 4, 5],
      holidays: [],
    })
  })

  it('copies an existing schedule without ids', () => {
    const draft = scheduleDraft(schedule)
    expect(draft.holidays).toEqual([{ date: '2027-01-01', name: 'New Year' }])
    draft.days.push(6)
    expect(schedule.days).toEqual([1, 2, 3, 4, 5])
  })

  it('posts sorted days and drops holiday rows left empty', () => {
    const payload = schedulePayload({
      ...scheduleDraft(null),
      days: [5, 1, 3],
      holidays: [
        { date: '2027-01-01', name: ' New Year ' },
        { date: '', name: '  ' },
        { date: '', name: 'No date yet' },
      ],
    })
    expect(payload.days).toEqual([1, 3, 5])
    expect(payload.holidays).toEqual([
      { date: '2027-01-01', name: 'New Year' },
      { date: '', name: 'No date yet' },
    ])
  })
})

describe('hoursDraft', () => {
  it('has every priority, empty where there is no target', () => {
    expect(hoursDraft({ high: 4, critical: 0.5 })).toEqual({
      low: '',
      medium: '',
      high: 4,
      urgent: '',
      critical: 0.5,
    })
    expect(Object.values(hoursDraft(null))).toEqual(['', '', '', '', ''])
  })
})
