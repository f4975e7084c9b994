import { mount } from '@vue/test-utils'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

import SlaCountdown from '../SlaCountdown.vue'

const NOW = Date.parse('2025-03-10T12:00:00Z')
const inSeconds = (s: number) => new Date(NOW + s * 1000).toISOString()

describe('SlaCountdown', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: NOW })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('counts down every second and turns breached at the deadline', async () => {
    const wrapper = mount(SlaCountdown, { props: { dueAt: inSeconds(3), label: 'Resolution' } })
    const timer = wrapper.get('[role="timer"]')
    expect(timer.attributes('data-state')).toBe('at_risk')
    expect(timer.text()).toContain('3s left')

    await vi.advanceTimersByTimeAsync(1000)
    expect(timer.text()).toContain('2s left')

    await vi.advanceTimersByTimeAsync(3000)
    expect(timer.attributes('data-state')).toBe('breached')
    expect(timer.text()).toContain('Breached · 1s over')
    wrapper.unmount()
  })

  it('is on track far from the deadline and says so in words for screen readers', () => {
    const wrapper = mount(SlaCountdown, {
      props: { dueAt: inSeconds(3 * 3600 + 120), label: 'First response' },
    })
    const timer = wrapper.get('[role="timer"]')
    expect(timer.attributes('data-state')).toBe('on_track')
    expect(timer.text()).toContain('First response:')
    expect(timer.text()).toContain('3h 2m left')
    expect(timer.attributes('aria-label')).toMatch(
      /^First response: on track, 3 hours 2 minutes left, due /,
    )
    wrapper.unmount()
  })

  it('turns at risk past the warning percentage', async () => {
    // A 100-second window at 80 %: at risk from 80 s in.
    const wrapper = mount(SlaCountdown, {
      props: { dueAt: inSeconds(25), startedAt: inSeconds(-75), warningPercent: 80 },
    })
    expect(wrapper.get('[role="timer"]').attributes('data-state')).toBe('on_track')
    await vi.advanceTimersByTimeAsync(5000)
    expect(wrapper.get('[role="timer"]').attributes('data-state')).toBe('at_risk')
    wrapper.unmount()
  })

  it.each([
    [{ paused: true }, 'paused', 'Paused'],
    [{ metAt: inSeconds(-10) }, 'met', 'Met'],
    [{ breached: true }, 'breached', 'Breached'],
  ])('shows %j as %s', (extra, state, text) => {
    const wrapper = mount(SlaCountdown, { props: { dueAt: inSeconds(600), ...extra } })
    expect(wrapper.get('[role="timer"]').attributes('data-state')).toBe(state)
    expect(wrapper.text()).toContain(text)
    wrapper.unmount()
  })

  it('shares one interval between countdowns and clears it on unmount', () => {
    expect(vi.getTimerCount()).toBe(0)
    const a = mount(SlaCountdown, { props: { dueAt: inSeconds(60) } })
    const b = mount(SlaCountdown, { props: { dueAt: inSeconds(120) } })
    expect(vi.getTimerCount()).toBe(1)
    a.unmount()
    expect(vi.getTimerCount()).toBe(1)
    b.unmount()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('compact mode keeps the label for screen readers only', () => {
    const wrapper = mount(SlaCountdown, {
      props: { dueAt: inSeconds(7200), label: 'Resolution', compact: true },
    })
    expect(wrapper.text()).not.toContain('Resolution')
    expect(wrapper.get('[role="timer"]').attributes('aria-label')).toMatch(/^Resolution: on track/)
    wrapper.unmount()
  })
})
