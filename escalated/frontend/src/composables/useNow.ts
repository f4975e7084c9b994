import { onBeforeUnmount, onMounted, readonly, ref, type Ref } from 'vue'

/**
 * A clock shared by every component on the page: one setInterval however many SLA
 * countdowns are mounted. It starts with the first subscriber and is cleared when the
 * last one unmounts.
 */
const now = ref(Date.now())
let subscribers = 0
let timer: ReturnType<typeof setInterval> | null = null

const TICK_MS = 1000

function subscribe(): void {
  subscribers += 1
  if (timer === null) {
    now.value = Date.now()
    timer = setInterval(() => {
      now.value = Date.now()
    }, TICK_MS)
  }
}

function unsubscribe(): void {
  subscribers = Math.max(0, subscribers - 1)
  if (subscribers === 0 && timer !== null) {
    clearInterval(timer)
    timer = null
  }
}

/** Current time in ms, updated every second while the calling component is mounted. */
export function useNow(): Readonly<Ref<number>> {
  now.value = Date.now()
  onMounted(subscribe)
  onBeforeUnmount(unsubscribe)
  return readonly(now)
}
