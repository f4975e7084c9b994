/**
 * Agent ticket-list filters ⇄ URL query string. The URL is the source of truth: a
 * reload, a shared link or the back button restores the same list.
 *
 * Query parameters (all optional; a missing one means "any"):
 *   search=<text>  status=<Status>  priority=<Priority>
 *   assignee=me|unassigned|<user id: a number, a UUID or text>  department=<id>  tag=<id>
 *   sla=breached|at_risk  sort=<TicketSort, default -created_at>  page=<n ≥ 2>
 *   per_page=<n> (the server's default when absent; kept like the sort)
 *
 * The older `sla_breached=1` (or true/yes/on) is still read, as `sla=breached`; it is
 * never written.
 */
import {
  type AssigneeFilter,
  DEFAULT_SORT,
  SLA_FILTERS,
  SORTS,
  type SlaFilter,
  type TicketFilterState,
  type TicketSort,
} from '@/types/filters'
import { isPriority, isStatus } from './labels'
import { userIdFromInput } from './userIds'

export type QueryInput = string | URLSearchParams | Record<string, unknown>

export function defaultFilters(): TicketFilterState {
  return {
    search: '',
    status: '',
    priority: '',
    assignee: '',
    department: '',
    tag: '',
    sla: '',
    sort: DEFAULT_SORT,
    page: 1,
  }
}

function positiveInt(value: string | null | undefined): number | null {
  if (value == null || !/^\d+$/.test(value.trim())) return null
  const n = Number(value)
  return Number.isSafeInteger(n) && n > 0 ? n : null
}

/**
 * `assignee=`: "me", "unassigned" or a user id. Something that reads as a number is an
 * id only as a positive integer ("-3", "0", "1.5" mean "any", as the server reads them
 * on an integer-keyed host); other text is a UUID or text key and kept as it is.
 */
function assigneeFrom(value: string | null): AssigneeFilter {
  const text = (value ?? '').trim()
  if (text === 'me' || text === 'unassigned') return text
  if (text !== '' && Number.isFinite(Number(text))) return positiveInt(text) ?? ''
  return userIdFromInput(text) ?? ''
}

function toParams(input: QueryInput): URLSearchParams {
  if (input instanceof URLSearchParams) return input
  if (typeof input === 'string') {
    const q = input.includes('?') ? input.slice(input.indexOf('?') + 1) : input
    return new URLSearchParams(q.split('#')[0])
  }
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(input)) {
    const first = Array.isArray(value) ? value[0] : value
    if (first !== undefined && first !== null) params.set(key, String(first))
  }
  return params
}

export function isSlaFilter(value: unknown): value is SlaFilter {
  return (SLA_FILTERS as readonly unknown[]).includes(value)
}

/** Spellings of "yes" for the legacy `sla_breached` flag (the server's own list). */
const LEGACY_TRUE = new Set(['1', 'true', 'yes', 'on'])

/** Parse a query (string, URL, URLSearchParams or object); unknown or bad values fall back to "any". */
export function filtersFromQuery(input: QueryInput): TicketFilterState {
  const params = toParams(input)
  const state = defaultFilters()

  state.search = (params.get('search') ?? '').trim()

  const status = params.get('status')
  if (isStatus(status)) state.status = status

  const priority = params.get('priority')
  if (isPriority(priority)) state.priority = priority

  state.assignee = assigneeFrom(params.get('assignee'))

  state.department = positiveInt(params.get('department')) ?? ''
  state.tag = positiveInt(params.get('tag')) ?? ''

  const sla = (params.get('sla') ?? '').trim()
  if (isSlaFilter(sla)) state.sla = sla
  else if (LEGACY_TRUE.has((params.get('sla_breached') ?? '').trim().toLowerCase()))
    state.sla = 'breached'

  const sort = params.get('sort')
  if (sort && (SORTS as readonly string[]).includes(sort)) state.sort = sort as TicketSort

  state.page = positiveInt(params.get('page')) ?? 1
  const perPage = positiveInt(params.get('per_page'))
  if (perPage !== null) state.per_page = perPage
  return state
}

/** The query object for a state: defaults are left out, so a clean list has a clean URL. */
export function filtersToQuery(state: TicketFilterState): Record<string, string> {
  const query: Record<string, string> = {}
  const search = state.search.trim()
  if (search) query.search = search
  if (state.status) query.status = state.status
  if (state.priority) query.priority = state.priority
  if (state.assignee !== '') query.assignee = String(state.assignee)
  if (state.department !== '') query.department = String(state.department)
  if (state.tag !== '') query.tag = String(state.tag)
  if (state.sla) query.sla = state.sla
  if (state.sort !== DEFAULT_SORT) query.sort = state.sort
  if (state.per_page) query.per_page = String(state.per_page)
  if (state.page > 1) query.page = String(state.page)
  return query
}

/** "?status=open&page=2", or "" for the defaults. */
export function filtersToQueryString(state: TicketFilterState): string {
  const qs = new URLSearchParams(filtersToQuery(state)).toString()
  return qs ? `?${qs}` : ''
}

/** Change some filters; a real change to anything but the page goes back to page 1. */
export function updateFilters(
  state: TicketFilterState,
  patch: Partial<TicketFilterState>,
): TicketFilterState {
  const next = { ...state, ...patch }
  const changed = (Object.keys(patch) as (keyof TicketFilterState)[]).some(
    (key) => key !== 'page' && patch[key] !== state[key],
  )
  if (changed) next.page = patch.page ?? 1
  return next
}

/** How many filters narrow the list (search included; sort and page are not filters). */
export function activeFilterCount(state: TicketFilterState): number {
  return [
    state.search.trim() !== '',
    state.status !== '',
    state.priority !== '',
    state.assignee !== '',
    state.department !== '',
    state.tag !== '',
    state.sla !== '',
  ].filter(Boolean).length
}

export function sameFilters(a: TicketFilterState, b: TicketFilterState): boolean {
  return filtersToQueryString(a) === filtersToQueryString(b)
}
