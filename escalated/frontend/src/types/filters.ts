import type { Priority, Status, UserId } from './models'

/**
 * Who a ticket is assigned to: anyone, the current agent, nobody, or one agent's id
 * (a number or a string, like every user id).
 */
export type AssigneeFilter = '' | 'me' | 'unassigned' | UserId

export const SORTS = [
  '-created_at',
  'created_at',
  '-updated_at',
  'updated_at',
  '-priority',
  'priority',
  'due',
] as const
export type TicketSort = (typeof SORTS)[number]
export const DEFAULT_SORT: TicketSort = '-created_at'

/**
 * The SLA filter: `breached` = open tickets past an SLA target; `at_risk` = open,
 * running tickets past their SLA warning moment but not yet breached.
 */
export const SLA_FILTERS = ['breached', 'at_risk'] as const
export type SlaFilter = (typeof SLA_FILTERS)[number]

/**
 * The agent ticket list's filters; their URL query form is produced by
 * lib/filters.ts (`filtersToQuery` / `filtersFromQuery`). Empty string = "any".
 */
export interface TicketFilterState {
  search: string
  status: Status | ''
  priority: Priority | ''
  assignee: AssigneeFilter
  department: number | ''
  tag: number | ''
  sla: SlaFilter | ''
  sort: TicketSort
  page: number
  /** Echoed by the server only when not its default page size. */
  per_page?: number
}
