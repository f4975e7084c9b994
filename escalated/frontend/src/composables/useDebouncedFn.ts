import { onBeforeUnmount } from 'vue'

export interface DebouncedFn<A extends unknown[]> {
  (...args: A): void
  /** Run a pending call now. */
  flush: () => void
  /** Drop a pending call. */
  cancel: () => void
}

/** Debounce `fn` by `wait` ms; a pending call is dropped when the component unmounts. */
export function useDebouncedFn<A extends unknown[]>(
  fn: (...args: A) => void,
  wait: number,
): DebouncedFn<A> {
  let timer: ReturnType<typeof setTimeout> | null = null
  let pending: A | null = null

  const cancel = () => {
    if (timer !== null) clearTimeout(timer)
    timer = null
    pending = null
  }
  const flush = () => {
    if (pending === null) return
    const args = pending
    cancel()
    fn(...args)
  }
  const debounced = ((...args: A) => {
    pending = args
    if (timer !== null) clearTimeout(timer)
    timer = setTimeout(flush, wait)
  }) as DebouncedFn<A>
  debounced.flush = flush
  debounced.cancel = cancel

  onBeforeUnmount(cancel)
  return debounced
}
