import { computed, ref, watch } from 'vue'

/**
 * Row selection of a list (checkboxes + select all). Ids that leave the list (another
 * page, a filter, a bulk change) are dropped, so an action never hits unseen rows.
 */
export function useSelection(ids: () => number[]) {
  const selected = ref<number[]>([])

  watch(ids, (current) => {
    const onPage = new Set(current)
    selected.value = selected.value.filter((id) => onPage.has(id))
  })

  const count = computed(() => selected.value.length)
  const allSelected = computed(() => {
    const all = ids()
    return all.length > 0 && all.every((id) => selected.value.includes(id))
  })
  const someSelected = computed(() => count.value > 0 && !allSelected.value)

  function isSelected(id: number): boolean {
    return selected.value.includes(id)
  }

  function toggle(id: number, on: boolean): void {
    const others = selected.value.filter((x) => x !== id)
    selected.value = on ? [...others, id] : others
  }

  function toggleAll(on: boolean): void {
    selected.value = on ? [...ids()] : []
  }

  function clear(): void {
    selected.value = []
  }

  return { selected, count, allSelected, someSelected, isSelected, toggle, toggleAll, clear }
}
