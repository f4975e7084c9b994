// @vitest-environment node
import { describe, expect, it } from 'vitest'

import { slaClock } from '../sla'

const NOW = Date.parse('2025-03-10T12:00:00Z')
const inMinutes = (m: number) => new Date(NOW + m * 60_000).toISOString()

describe('slaClock', () => {
  it('stops, unmet, when the ticket was closed before the target', () => {
    const input = { dueAt: inMinutes(60), now: NOW, stoppedAt: inMinutes(-30) }
    expect(slaClock(input)).toEqual({ state: 'stopped', seconds: null })
    // no countdown keeps running after the stop
    expect(slaClock({ ...input, now: NOW + 3 * 3_600_000 }).state).toBe('stopped')
  })

  it('stays breached when the ticket was closed after the deadline', () => {
    expect(slaClock({ dueAt: inMinutes(-60), now: NOW, stoppedAt: inMinutes(-30) })).toEqual({
      state: 'breached',
      seconds: 1800,
    })
  })

  it('is on track with time left before the warning threshold', () => {
    expect(slaClock({ dueAt: inMinutes(120), now: NOW })).toEqual({
      state: 'on_track',
      seconds: 7200,
    })
  })

  it('is at risk in the last hour when the start is unknown', () => {
    expect(slaClock({ dueAt: inMinutes(30), now: NOW })).toEqual({
      state: 'at_risk',
      seconds: 1800,
    })
    expect(slaClock({ dueAt: inMinutes(30), now: NOW, warningSeconds: 600 }).state).toBe('on_track')
  })

  it('uses the warning percentage of the whole window when the start is known', () => {
    // 10 h window, 8 h 30 m elapsed: past 80 %.
    const started = inMinutes(-510)
    expect(slaClock({ dueAt: inMinutes(90), startedAt: started, now: NOW }).state).toBe('at_risk')
    expect(
      slaClock({ dueAt: inMinutes(90), startedAt: started, now: NOW, warningPercent: 90 }).state,
    ).toBe('on_track')
  })

  it('prefers an exact warning moment from the server', () => {
    expect(slaClock({ dueAt: inMinutes(300), warnAt: inMinutes(-1), now: NOW }).state).toBe(
      'at_risk',
    )
    expect(slaClock({ dueAt: inMinutes(30), warnAt: inMinutes(10), now: NOW }).state).toBe(
      'on_track',
    )
  })

  it('is breached once the deadline passes, counting the overdue time', () => {
    expect(slaClock({ dueAt: inMinutes(-5), now: NOW })).toEqual({
      state: 'breached',
      seconds: 300,
    })
    expect(slaClock({ dueAt: inMinutes(0), now: NOW }).state).toBe('breached')
  })

  it('trusts the server breach flag over the local clock', () => {
    expect(slaClock({ dueAt: inMinutes(60), breached: true, now: NOW }).state).toBe('breached')
    expect(slaClock({ dueAt: null, breached: true, now: NOW })).toEqual({
      state: 'breached',
      seconds: null,
    })
  })

  it('is paused while waiting on the customer', () => {
    expect(slaClock({ dueAt: inMinutes(-60), paused: true, now: NOW })).toEqual({
      state: 'paused',
      seconds: null,
    })
  })

  it('is met when the target was reached in time, breached when late', () => {
    expect(slaClock({ dueAt: inMinutes(60), metAt: inMinutes(-10), now: NOW }).state).toBe('met')
    expect(slaClock({ dueAt: inMinutes(-60), metAt: inMinutes(-30), now: NOW })).toEqual({
      state: 'breached',
      seconds: 1800,
    })
  })

  it('has no state without a deadline', () => {
    expect(slaClock({ dueAt: null, now: NOW })).toEqual({ state: 'none', seconds: null })
    expect(slaClock({ dueAt: 'not a date', now: NOW }).state).toBe('none')
  })
})
