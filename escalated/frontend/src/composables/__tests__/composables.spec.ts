import { mount } from '@vue/test-utils'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, h } from 'vue'

import { useDebouncedFn } from '../useDebouncedFn'
import { useNow } from '../useNow'

describe('useNow', () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }))
  afterEach(() => vi.useRealTimers())

  it('ticks every second while mounted and stops after', async () => {
    const Clock = defineComponent({
      setup() {
        const now = useNow()
        return () => h('span', String(now.value))
      },
    })
    const wrapper = mount(Clock)
    expect(wrapper.text()).toBe('1000000')
    await vi.advanceTimersByTimeAsync(2000)
    expect(wrapper.text()).toBe('1002000')
    wrapper.unmount()
    expect(vi.getTimerCount()).toBe(0)
  })
})

describe('useDebouncedFn', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  function withDebounced(fn: (v: string) => void) {
    let debounced!: ReturnType<typeof useDebouncedFn<[string]>>
    const wrapper = mount(
      defineComponent({
        setup() {
          debounced = useDebouncedFn(fn, 200)
          return () => h('i')
        },
      }),
    )
    return { wrapper, debounced }
  }

  it('calls once with the last arguments after the wait', () => {
    const fn = vi.fn()
    const { debounced } = withDebounced(fn)
    debounced('a')
    debounced('ab')
    vi.advanceTimersByTime(199)
    expect(fn).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(fn).toHaveBeenCalledExactlyOnceWith('ab')
  })

  it('flushes now, and drops the pending call on unmount', () => {
    const fn = vi.fn()
    const { wrapper, debounced } = withDebounced(fn)
    debounced('x')
    debounced.flush()
    expect(fn).toHaveBeenCalledWith('x')
    debounced('y')
    wrapper.unmount()
    vi.advanceTimersByTime(1000)
    expect(fn).toHaveBeenCalledTimes(1)
  })
})
