import { mount } from '@vue/test-utils'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, h, nextTick, ref } from 'vue'

import { useDebouncedFn } from '../useDebouncedFn'
import { useNow } from '../useNow'
import { useSelection } from '../useSelection'

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

describe('useSelection', () => {
  it('selects rows, all of them, and knows when it is partial', () => {
    const ids = ref([1, 2, 3])
    const selection = useSelection(() => ids.value)
    selection.toggle(2, true)
    expect(selection.someSelected.value).toBe(true)
    expect(selection.allSelected.value).toBe(false)
    selection.toggleAll(true)
    expect(selection.selected.value).toEqual([1, 2, 3])
    expect(selection.allSelected.value).toBe(true)
    selection.toggle(1, false)
    expect(selection.isSelected(1)).toBe(false)
    expect(selection.count.value).toBe(2)
    selection.clear()
    expect(selection.count.value).toBe(0)
  })

  it('drops ids that leave the list', async () => {
    const ids = ref([1, 2, 3])
    const selection = useSelection(() => ids.value)
    selection.toggleAll(true)
    ids.value = [3, 4]
    await nextTick()
    expect(selection.selected.value).toEqual([3])
  })

  it('is not "all selected" on an empty list', () => {
    expect(useSelection(() => []).allSelected.value).toBe(false)
  })
})
