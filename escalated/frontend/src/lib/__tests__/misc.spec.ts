// @vitest-environment node
import { describe, expect, it } from 'vitest'

import { file, UUID_GRACE } from '@/test/fixtures'

import { describeActivity } from '../activity'
import { addFiles, formatBytes } from '../files'
import { toDjangoFormData } from '../formData'
import { homeFor, navFor } from '../nav'
import { pageUrl, pageWindow } from '../pagination'
import { isActivePath, makeRoutes } from '../routes'
import { insertAtCursor, interpolate } from '../text'

describe('addFiles', () => {
  const limits = { maxFiles: 2, maxSizeKb: 1 }

  it('accepts files within the limits', () => {
    const result = addFiles([], [file('a.txt', 10), file('b.txt', 1024)], limits)
    expect(result.accepted.map((f) => f.name)).toEqual(['a.txt', 'b.txt'])
    expect(result.errors).toEqual([])
  })

  it('rejects a file over the size limit with its size and the limit', () => {
    const result = addFiles([], [file('big.pdf', 2048)], limits)
    expect(result.accepted).toEqual([])
    expect(result.errors).toEqual(['"big.pdf" is 2 KB; each file must be 1 KB or less.'])
  })

  it('stops at the maximum number of files', () => {
    const result = addFiles([file('a.txt', 1)], [file('b.txt', 1), file('c.txt', 1)], limits)
    expect(result.accepted.map((f) => f.name)).toEqual(['a.txt', 'b.txt'])
    expect(result.errors).toEqual(['"c.txt" was not added: you can attach up to 2 files.'])
  })

  it('ignores the same file chosen twice', () => {
    const a = file('a.txt', 5)
    expect(addFiles([a], [file('a.txt', 5)], limits).accepted).toHaveLength(1)
  })
})

describe('formatBytes', () => {
  it.each([
    [500, '500 B'],
    [1536, '1.5 KB'],
    [10 * 1024 * 1024, '10 MB'],
  ])('%i → %s', (bytes, text) => expect(formatBytes(bytes)).toBe(text))
})

describe('toDjangoFormData', () => {
  it('repeats list keys and spells booleans the Django way', () => {
    const a = file('a.txt', 1)
    const b = file('b.txt', 1)
    const form = toDjangoFormData({
      body: 'Hi',
      is_internal_note: false,
      attachments: [a, b],
      n: null,
    })
    expect(form.get('body')).toBe('Hi')
    expect(form.get('is_internal_note')).toBe('false')
    expect(form.getAll('attachments').map((f) => (f as File).name)).toEqual(['a.txt', 'b.txt'])
    expect(form.get('n')).toBe('')
  })
})

describe('pagination', () => {
  it('keeps the query and replaces the page', () => {
    expect(pageUrl('/support/agent/tickets/?status=open&page=2', 3)).toBe(
      '/support/agent/tickets/?status=open&page=3',
    )
    expect(pageUrl('/t/?status=open&page=2#x', 1)).toBe('/t/?status=open')
  })

  it('shows first, last and neighbours with gaps', () => {
    expect(pageWindow(6, 20)).toEqual([1, 'gap', 5, 6, 7, 'gap', 20])
    expect(pageWindow(2, 4)).toEqual([1, 2, 3, 4])
    expect(pageWindow(1, 1)).toEqual([1])
    // A gap of one page is shown as the page itself.
    expect(pageWindow(4, 7)).toEqual([1, 2, 3, 4, 5, 6, 7])
  })
})

describe('routes and navigation', () => {
  const routes = makeRoutes('/support/')

  it('builds paths under the route prefix', () => {
    expect(routes.agent.show('ESC-00042')).toBe('/support/agent/tickets/ESC-00042/')
    expect(makeRoutes('').customer.tickets).toBe('/tickets/')
  })

  it('matches sections and exact pages', () => {
    expect(isActivePath('/support/agent/tickets/5/?x=1', routes.agent.tickets)).toBe(true)
    expect(isActivePath('/support/agent/tickets/', routes.agent.dashboard, true)).toBe(false)
  })

  it('shows customer, agent and admin links by the user flags', () => {
    const base = { id: 1, name: 'U', email: 'u@example.com', is_agent: false, is_admin: false }
    expect(navFor(null, routes)).toEqual({ primary: [], admin: [] })
    expect(navFor(base, routes).primary.map((l) => l.label)).toEqual(['My tickets', 'New ticket'])
    const agent = navFor({ ...base, is_agent: true }, routes)
    expect(agent.primary.map((l) => l.label)).toEqual(['Dashboard', 'Tickets'])
    expect(agent.admin).toEqual([])
    expect(navFor({ ...base, is_agent: true, is_admin: true }, routes).admin).toHaveLength(7)
    expect(homeFor({ ...base, is_agent: true }, routes)).toBe('/support/agent/')
    expect(homeFor(base, routes)).toBe('/support/tickets/')
  })
})

describe('text helpers', () => {
  it('inserts at the caret and reports the new caret', () => {
    expect(insertAtCursor('Hello world', 'big ', 6)).toEqual({ text: 'Hello big world', caret: 10 })
    expect(insertAtCursor('abc', 'X', 1, 2)).toEqual({ text: 'aXc', caret: 2 })
  })

  it('fills known placeholders and leaves unknown ones', () => {
    expect(
      interpolate('Hi {{ requester_name }}, re {{reference}} {{ nope }}', {
        requester_name: 'Sam',
        reference: 'ESC-1',
      }),
    ).toBe('Hi Sam, re ESC-1 {{ nope }}')
  })
})

describe('describeActivity', () => {
  const base = { id: 1, actor: null, created_at: '2025-01-01T00:00:00Z' }
  it('describes known activity types in words', () => {
    expect(
      describeActivity({ ...base, type: 'status_changed', data: { from: 'open', to: 'resolved' } }),
    ).toBe('changed the status from Open to Resolved')
    expect(
      describeActivity({ ...base, type: 'assigned', data: { to: { id: 2, name: 'Grace' } } }),
    ).toBe('assigned the ticket to Grace')
  })
  it('resolves a UUID user id through the page context', () => {
    const users = new Map([[UUID_GRACE, 'Grace']])
    expect(
      describeActivity({ ...base, type: 'assigned', data: { agent_id: UUID_GRACE } }, { users }),
    ).toBe('assigned the ticket to Grace')
    // The same id, sent as a number in one place and as text in another.
    expect(
      describeActivity(
        { ...base, type: 'assigned', data: { agent_id: '2' } },
        { users: new Map([[2, 'Ada']]) },
      ),
    ).toBe('assigned the ticket to Ada')
  })
  it('falls back to the type for unknown ones', () => {
    expect(describeActivity({ ...base, type: 'satisfaction_rated', data: {} })).toBe(
      'satisfaction rated',
    )
  })

  it('reads the data the server logs, resolving ids through the page context', () => {
    const context = {
      users: new Map([[2, 'Grace']]),
      departments: new Map([[10, 'Billing']]),
    }
    const said = (type: string, data: Record<string, unknown>) =>
      describeActivity({ ...base, type, data }, context)
    expect(said('status_changed', { old_status: 'open', new_status: 'waiting_on_customer' })).toBe(
      'changed the status from Open to Waiting on customer',
    )
    expect(said('priority_changed', { old: 'high', new: 'urgent' })).toBe(
      'changed the priority from High to Urgent',
    )
    expect(said('assigned', { agent_id: 2, previous_agent_id: null })).toBe(
      'assigned the ticket to Grace',
    )
    expect(said('assigned', { agent_id: 99 })).toBe('assigned the ticket to an agent')
    // The timeline keeps the name of the moment: a former agent still reads right.
    expect(said('assigned', { agent: { id: 99, name: 'Ada' }, previous_agent: null })).toBe(
      'assigned the ticket to Ada',
    )
    expect(said('department_changed', { old: null, new: { id: 77, name: 'Legal' } })).toBe(
      'moved the ticket to Legal',
    )
    expect(said('department_changed', { old: null, new: 10 })).toBe('moved the ticket to Billing')
    expect(said('department_changed', { old: 10, new: null })).toBe('removed the department')
    expect(said('tag_added', { tags: ['vip', 'refund'] })).toBe('added the tags vip, refund')
    expect(said('tag_removed', { tags: ['vip'] })).toBe('removed the tag vip')
    expect(said('sla_breached', { breach_type: 'first_response' })).toBe(
      'breached the first-response SLA',
    )
    expect(said('rule_fired', { rule_name: 'Stale tickets' })).toBe(
      'ran the escalation rule Stale tickets',
    )
    expect(said('rated', { rating: 4 })).toBe('rated the ticket 4 out of 5')
    expect(said('sla_recomputed', { policy: { id: 3, name: 'Gold' } })).toBe(
      'recalculated the SLA deadlines after the policy Gold changed',
    )
  })
})
