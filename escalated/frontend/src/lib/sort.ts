/** Sortable columns of the agent ticket list, on top of the `sort` filter values. */
import type { TicketSort } from '@/types/filters'

export type SortColumn = 'created' | 'updated' | 'priority' | 'due'

/** Each column's sorts, in the order a click cycles through them (first = first click). */
const COLUMN_SORTS: Record<SortColumn, readonly TicketSort[]> = {
  created: ['-created_at', 'created_at'],
  updated: ['-updated_at', 'updated_at'],
  priority: ['-priority', 'priority'],
  due: ['due'],
}

/** The sort after clicking `column`'s header: its first sort, or the next one if active. */
export function nextSort(current: TicketSort, column: SortColumn): TicketSort {
  const options = COLUMN_SORTS[column]
  const index = options.indexOf(current)
  return options[index === -1 ? 0 : (index + 1) % options.length]!
}

/** `aria-sort` of `column`'s header. */
export function sortDirection(
  current: TicketSort,
  column: SortColumn,
): 'ascending' | 'descending' | 'none' {
  if (!COLUMN_SORTS[column].includes(current)) return 'none'
  // "-priority" lists the highest first; "due" the soonest first.
  return current.startsWith('-') ? 'descending' : 'ascending'
}
