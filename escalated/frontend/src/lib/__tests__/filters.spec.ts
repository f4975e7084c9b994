// @vitest-environment node
import { describe, expect, it } from 'vitest'

import {
  activeFilterCount,
  defaultFilters,
  filtersFromQuery,
  filtersToQuery,
  filtersToQueryString,
  updateFilters,
} from '../filters'

describe('filtersToQuery', () => {
  it('leaves defaults out so a clean list has a clean URL', () => {
    expect(filtersToQuery(defaultFilters())).toEqual({})
    expect(filtersToQueryString(defaultFilters())).toBe('')
  })

  it('writes every non-default filter', () => {
    const query = filtersToQuery({
      search: '  refund ',
      status: 'open',
      priority: 'urgent',
      assignee: 'unassigned',
      department: 10,
      tag: 20,
      sla_breached: true,
      sort: 'due',
      page: 3,
    })
    expect(query).toEqual({
      search: 'refund',
      status: 'open',
      priority: 'urgent',
      assignee: 'unassigned',
      department: '10',
      tag: '20',
      sla_breached: '1',
      sort: 'due',
      page: '3',
    })
  })

  it('writes an agent id as the assignee', () => {
    expect(filtersToQuery({ ...defaultFilters(), assignee: 42 })).toEqual({ assignee: '42' })
  })
})

describe('filtersFromQuery', () => {
  it('round-trips through the query string', () => {
    const state = {
      ...defaultFilters(),
      search: 'printer on fire',
      status: 'waiting_on_customer' as const,
      assignee: 'me' as const,
      tag: 21,
      sla_breached: true,
      sort: '-priority' as const,
      page: 2,
    }
    expect(filtersFromQuery(filtersToQueryString(state))).toEqual(state)
  })

  it('reads a full URL, URLSearchParams or an object', () => {
    expect(filtersFromQuery('/support/agent/tickets/?status=open#top').status).toBe('open')
    expect(filtersFromQuery(new URLSearchParams('priority=high')).priority).toBe('high')
    expect(filtersFromQuery({ department: ['11', '12'], page: 4 })).toMatchObject({
      department: 11,
      page: 4,
    })
  })

  it('falls back to "any" for unknown or malformed values', () => {
    const state = filtersFromQuery(
      '?status=pending&priority=meh&assignee=-3&department=abc&tag=0&sort=random&page=0&sla_breached=maybe',
    )
    expect(state).toEqual(defaultFilters())
  })

  it('accepts the usual spellings of true for sla_breached', () => {
    for (const value of ['1', 'true', 'TRUE', 'yes']) {
      expect(filtersFromQuery(`?sla_breached=${value}`).sla_breached).toBe(true)
    }
  })
})

describe('updateFilters', () => {
  it('goes back to page 1 when a filter changes', () => {
    const state = { ...defaultFilters(), page: 5 }
    expect(updateFilters(state, { status: 'open' }).page).toBe(1)
  })

  it('keeps the page when a filter is set to the value it already has', () => {
    const state = { ...defaultFilters(), status: 'open' as const, page: 3 }
    expect(updateFilters(state, { status: 'open' }).page).toBe(3)
  })

  it('keeps other filters when only the page changes', () => {
    const state = { ...defaultFilters(), status: 'open' as const }
    expect(updateFilters(state, { page: 3 })).toEqual({ ...state, page: 3 })
  })
})

describe('activeFilterCount', () => {
  it('counts narrowing filters but not sort or page', () => {
    expect(activeFilterCount({ ...defaultFilters(), sort: 'due', page: 4 })).toBe(0)
    expect(
      activeFilterCount({ ...defaultFilters(), search: 'x', assignee: 'me', sla_breached: true }),
    ).toBe(3)
  })
})
