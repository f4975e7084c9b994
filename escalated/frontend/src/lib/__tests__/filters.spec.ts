// @vitest-environment node
import { describe, expect, it } from 'vitest'

import { UUID_ADA } from '@/test/fixtures'

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
      sla: 'at_risk',
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
      sla: 'at_risk',
      sort: 'due',
      page: '3',
    })
  })

  it('writes an agent id as the assignee', () => {
    expect(filtersToQuery({ ...defaultFilters(), assignee: 42 })).toEqual({ assignee: '42' })
  })

  it('writes the SLA filter as sla=<value>, never the legacy sla_breached', () => {
    expect(filtersToQueryString({ ...defaultFilters(), sla: 'breached' })).toBe('?sla=breached')
    expect(filtersToQueryString({ ...defaultFilters(), sla: 'at_risk', sort: 'due' })).toBe(
      '?sla=at_risk&sort=due',
    )
    expect(filtersToQuery({ ...defaultFilters(), sla: '' })).toEqual({})
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
      sla: 'breached' as const,
      sort: '-priority' as const,
      page: 2,
    }
    expect(filtersFromQuery(filtersToQueryString(state))).toEqual(state)
  })

  it('round-trips every SLA filter value, "any" included', () => {
    for (const sla of ['', 'breached', 'at_risk'] as const) {
      const state = { ...defaultFilters(), sla }
      expect(filtersFromQuery(filtersToQueryString(state))).toEqual(state)
    }
  })

  it('reads a full URL, URLSearchParams or an object', () => {
    expect(filtersFromQuery('/support/agent/tickets/?status=open#top').status).toBe('open')
    expect(filtersFromQuery(new URLSearchParams('priority=high')).priority).toBe('high')
    expect(filtersFromQuery({ department: ['11', '12'], page: 4 })).toMatchObject({
      department: 11,
      page: 4,
    })
  })

  it('reads a UUID assignee and writes it back unchanged', () => {
    const state = filtersFromQuery(`?assignee=${UUID_ADA}&status=open`)
    expect(state.assignee).toBe(UUID_ADA)
    expect(filtersToQuery(state)).toEqual({ status: 'open', assignee: UUID_ADA })
    expect(filtersFromQuery(filtersToQueryString(state))).toEqual(state)
    expect(filtersFromQuery({ assignee: 'alice' }).assignee).toBe('alice')
  })

  it('still reads a numeric assignee as a positive integer', () => {
    expect(filtersFromQuery('?assignee=42').assignee).toBe(42)
    for (const bad of ['0', '-3', '1.5', '1e3']) {
      expect(filtersFromQuery({ assignee: bad }).assignee).toBe('')
    }
  })

  it('falls back to "any" for unknown or malformed values', () => {
    const state = filtersFromQuery(
      '?status=pending&priority=meh&assignee=-3&department=abc&tag=0&sort=random&page=0&sla=late&sla_breached=maybe',
    )
    expect(state).toEqual(defaultFilters())
  })

  it('reads sla=breached and sla=at_risk', () => {
    expect(filtersFromQuery('?sla=breached').sla).toBe('breached')
    expect(filtersFromQuery('?sla=at_risk').sla).toBe('at_risk')
    expect(filtersFromQuery('?sla=AT_RISK').sla).toBe('')
  })

  it('reads the legacy sla_breached flag as sla=breached', () => {
    for (const value of ['1', 'true', 'TRUE', 'yes', 'on']) {
      expect(filtersFromQuery(`?sla_breached=${value}`).sla).toBe('breached')
    }
    for (const value of ['0', 'false', 'no', '']) {
      expect(filtersFromQuery(`?sla_breached=${value}`).sla).toBe('')
    }
    // Rewritten in the new form on the way out.
    expect(filtersToQuery(filtersFromQuery('?sla_breached=1&status=open'))).toEqual({
      status: 'open',
      sla: 'breached',
    })
  })

  it('lets an explicit sla value win over the legacy flag', () => {
    expect(filtersFromQuery('?sla=at_risk&sla_breached=1').sla).toBe('at_risk')
    // An unknown sla value is "any", and the legacy flag still counts.
    expect(filtersFromQuery('?sla=late&sla_breached=1').sla).toBe('breached')
  })
})

describe('the page size (per_page)', () => {
  it('is read from the URL and written back, like the sort', () => {
    const state = filtersFromQuery('?status=open&per_page=50&page=2')
    expect(state.per_page).toBe(50)
    expect(filtersToQuery(state)).toEqual({ status: 'open', per_page: '50', page: '2' })
    expect(filtersFromQuery('?per_page=0').per_page).toBeUndefined()
    expect(filtersToQuery(defaultFilters())).not.toHaveProperty('per_page')
  })

  it('survives a filter change, which still goes back to page 1', () => {
    const state = { ...defaultFilters(), per_page: 50, page: 4 }
    expect(filtersToQuery(updateFilters(state, { sla: 'breached' }))).toEqual({
      sla: 'breached',
      per_page: '50',
    })
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
      activeFilterCount({ ...defaultFilters(), search: 'x', assignee: 'me', sla: 'at_risk' }),
    ).toBe(3)
  })
})
