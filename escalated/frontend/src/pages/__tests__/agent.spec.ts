import { router } from '@inertiajs/vue3'
import { mount } from '@vue/test-utils'
import { beforeEach, describe, expect, it, vi } from 'vitest'

import { defaultFilters } from '@/lib/filters'
import {
  activity,
  agents,
  cannedResponses,
  choices,
  departments,
  macros,
  reply,
  tags,
  ticket,
  UUID_ADA,
  UUID_GRACE,
  uuidAgents,
} from '@/test/fixtures'
import { setPage, sharedProps, user } from '@/test/page'
import type { AgentTicketIndexProps, AgentTicketShowProps } from '@/types/pages'

import Dashboard from '../Escalated/Agent/Dashboard.vue'
import TicketIndex from '../Escalated/Agent/Tickets/Index.vue'
import TicketShow from '../Escalated/Agent/Tickets/Show.vue'

const agentUser = user({ id: 1, name: 'Ada', is_agent: true })

beforeEach(() => {
  setPage({ url: '/support/agent/tickets/', props: sharedProps({ auth: { user: agentUser } }) })
})

function showProps(partial: Partial<AgentTicketShowProps> = {}): AgentTicketShowProps {
  return {
    ticket: ticket({ tags: [tags[0]!] }),
    replies: [
      reply({ body: 'Try a reset.' }),
      reply({ id: 2, body: 'Legacy plan customer.', is_internal_note: true }),
    ],
    activities: [activity({ type: 'assigned', data: { agent_id: 2 } })],
    rating: null,
    agents,
    departments,
    tags,
    canned_responses: cannedResponses,
    macros,
    choices,
    allowed_statuses: ['in_progress', 'resolved'],
    sla_warning_percent: 80,
    ...partial,
  }
}

describe('Agent ticket page', () => {
  it('sets internal notes apart from public replies', () => {
    const wrapper = mount(TicketShow, { props: showProps() })
    const messages = wrapper.findAll('[aria-label="Conversation"] article')
    expect(messages.map((m) => m.attributes('data-kind'))).toEqual(['customer', 'agent', 'note'])
    expect(messages[2]!.text()).toContain('Internal note · only agents see it')
  })

  it('offers only the legal status transitions', () => {
    const wrapper = mount(TicketShow, { props: showProps() })
    const status = wrapper.get('select[name="status"]')
    expect(status.findAll('option').map((o) => o.text())).toEqual([
      'Open',
      'In progress',
      'Resolved',
    ])
  })

  it('gives the reply box notes, canned responses filled for this ticket, and macros', async () => {
    const post = vi.spyOn(router, 'post').mockImplementation(() => undefined)
    const wrapper = mount(TicketShow, { props: showProps() })
    expect(wrapper.findAll('input[type="radio"][name="reply-type"]')).toHaveLength(2)

    await wrapper.get('select[id$="-canned"]').setValue('1')
    await wrapper
      .findAll('button')
      .find((b) => b.text() === 'Insert')!
      .trigger('click')
    expect((wrapper.get('textarea[name="body"]').element as HTMLTextAreaElement).value).toBe(
      'Hello Sam Customer,',
    )

    await wrapper.get('select[id$="-macro"]').setValue('5')
    await wrapper
      .findAll('button')
      .find((b) => b.text() === 'Apply')!
      .trigger('click')
    expect(post).toHaveBeenCalledWith(
      '/support/agent/tickets/ESC-00042/macro/',
      { macro_id: 5 },
      expect.any(Object),
    )
  })

  it('assigns to the signed-in agent in one click, unless already theirs', async () => {
    const post = vi.spyOn(router, 'post').mockImplementation(() => undefined)
    const wrapper = mount(TicketShow, { props: showProps() })
    await wrapper
      .findAll('button')
      .find((b) => b.text() === 'Assign to me')!
      .trigger('click')
    expect(post).toHaveBeenCalledWith(
      '/support/agent/tickets/ESC-00042/assign/',
      { agent_id: 'me' },
      expect.any(Object),
    )

    const mine = mount(TicketShow, {
      props: showProps({ ticket: ticket({ assigned_to: agents[0]! }) }),
    })
    expect(mine.findAll('button').some((b) => b.text() === 'Assign to me')).toBe(false)
    expect((mine.get('select[name="agent_id"]').element as HTMLSelectElement).value).toBe('1')
  })

  it('names the people and departments in the timeline', () => {
    const wrapper = mount(TicketShow, { props: showProps() })
    expect(wrapper.get('section[aria-label="Activity"]').text()).toContain(
      'assigned the ticket to Grace',
    )
  })
})

describe('Agent ticket page of a host keyed by UUIDs', () => {
  beforeEach(() => {
    const me = user({ id: UUID_ADA, name: 'Ada', is_agent: true })
    setPage({ url: '/support/agent/tickets/', props: sharedProps({ auth: { user: me } }) })
  })

  it('shows the UUID assignee selected, knows it is me, and saves another agent', async () => {
    const post = vi.spyOn(router, 'post').mockImplementation(() => undefined)
    const wrapper = mount(TicketShow, {
      props: showProps({ agents: uuidAgents, ticket: ticket({ assigned_to: uuidAgents[0]! }) }),
    })
    expect(wrapper.findAll('button').some((b) => b.text() === 'Assign to me')).toBe(false)
    const select = wrapper.get('select[name="agent_id"]')
    expect((select.element as HTMLSelectElement).value).toBe(UUID_ADA)
    expect(select.findAll('option').map((o) => o.text())).toEqual(['Unassigned', 'Ada', 'Grace'])

    await select.setValue(UUID_GRACE)
    await select.element.closest('form')!.dispatchEvent(new Event('submit'))
    expect(post).toHaveBeenCalledWith(
      '/support/agent/tickets/ESC-00042/assign/',
      { agent_id: UUID_GRACE },
      expect.any(Object),
    )
  })

  it('names a UUID agent in the timeline', () => {
    const wrapper = mount(TicketShow, {
      props: showProps({
        agents: uuidAgents,
        activities: [activity({ type: 'assigned', data: { agent_id: UUID_GRACE } })],
      }),
    })
    expect(wrapper.get('section[aria-label="Activity"]').text()).toContain(
      'assigned the ticket to Grace',
    )
  })
})

function indexProps(partial: Partial<AgentTicketIndexProps> = {}): AgentTicketIndexProps {
  const data = [ticket(), ticket({ id: 43, reference: 'ESC-00043', subject: 'Invoice' })]
  return {
    tickets: { data, total: 2, per_page: 25, current_page: 1, last_page: 1 },
    filters: defaultFilters(),
    agents,
    departments,
    tags,
    choices,
    sla_warning_percent: 80,
    ...partial,
  }
}

describe('Agent ticket list', () => {
  it('applies a bulk action to the selected tickets', async () => {
    const post = vi.spyOn(router, 'post').mockImplementation(() => undefined)
    const wrapper = mount(TicketIndex, { props: indexProps() })
    expect(wrapper.text()).not.toContain('selected')

    await wrapper.get('input[aria-label="Select all tickets on this page"]').setValue(true)
    expect(wrapper.get('section h2').text()).toBe('2 tickets selected')
    await wrapper.get('input[aria-label="Select ESC-00043"]').setValue(false)
    expect(wrapper.get('section h2').text()).toBe('1 ticket selected')

    const bar = wrapper.get('section')
    await bar.get('select[id$="-action"]').setValue('status')
    await bar.get('select[id$="-value"]').setValue('resolved')
    await bar
      .findAll('button')
      .find((b) => b.text() === 'Apply')!
      .trigger('click')
    expect(post).toHaveBeenCalledWith(
      '/support/agent/tickets/bulk/',
      { ids: [42], action: 'status', value: 'resolved' },
      expect.any(Object),
    )
  })

  it('sorts by a column header, keeping the filters', async () => {
    const get = vi.spyOn(router, 'get').mockImplementation(() => undefined)
    const wrapper = mount(TicketIndex, {
      props: indexProps({ filters: { ...defaultFilters(), status: 'open', page: 2 } }),
    })
    const priority = wrapper.findAll('th').find((th) => th.text().startsWith('Priority'))!
    expect(priority.attributes('aria-sort')).toBe('none')
    await priority.get('button').trigger('click')
    expect(get).toHaveBeenCalledWith(
      '/support/agent/tickets/',
      { status: 'open', sort: '-priority' },
      expect.objectContaining({ preserveState: true }),
    )
  })

  it('keeps the page size when sorting or clearing the filters', async () => {
    const get = vi.spyOn(router, 'get').mockImplementation(() => undefined)
    const wrapper = mount(TicketIndex, {
      props: indexProps({
        filters: { ...defaultFilters(), search: 'zebra', page: 2, per_page: 50 },
      }),
    })
    const priority = wrapper.findAll('th').find((th) => th.text().startsWith('Priority'))!
    await priority.get('button').trigger('click')
    expect(get.mock.lastCall?.[1]).toEqual({ search: 'zebra', sort: '-priority', per_page: '50' })

    await wrapper.setProps({
      tickets: { data: [], total: 0, per_page: 50, current_page: 1, last_page: 1 },
    })
    const clear = wrapper.findAll('button').filter((b) => b.text() === 'Clear filters')
    await clear.at(-1)!.trigger('click')
    expect(get.mock.lastCall?.[1]).toEqual({ per_page: '50' })
  })

  it('stacks the rows as cards on phones, with a visible "Select all"', () => {
    const wrapper = mount(TicketIndex, {
      props: indexProps({
        tickets: {
          data: [ticket({ assigned_to: agents[0]! }), ticket({ id: 43, is_open: false })],
          total: 2,
          per_page: 25,
          current_page: 1,
          last_page: 1,
        },
      }),
    })
    expect(wrapper.findComponent({ name: 'DataTable' }).props('stacked')).toBe(true)
    const selectAll = wrapper.get('input[aria-label="Select all tickets on this page"]')
    // The visible words start the accessible name (WCAG 2.5.3, label in name).
    expect(selectAll.element.closest('label')!.textContent!.trim()).toBe('Select all')
    // Header cells other than the checkbox give way below sm (sorting: the filter).
    const hiddenOnPhones = wrapper
      .findAll('thead th')
      .filter((th) => th.classes().some((c) => c === 'max-sm:hidden' || c === 'hidden'))
    expect(hiddenOnPhones).toHaveLength(7)

    const [open, closed] = wrapper.findAll('tbody tr')
    // The assignee cell is shown on phones, with its own label.
    const assignee = open!.findAll('td')[5]!
    expect(assignee.classes()).toContain('max-sm:block')
    expect(assignee.text()).toBe('Assignee: Ada')
    // A closed ticket has no SLA clock: its dash column disappears on phones.
    expect(closed!.findAll('td')[4]!.classes()).toContain('max-sm:hidden')
  })

  it('says when the filters match nothing', () => {
    const wrapper = mount(TicketIndex, {
      props: indexProps({
        tickets: { data: [], total: 0, per_page: 25, current_page: 1, last_page: 1 },
        filters: { ...defaultFilters(), search: 'zebra' },
      }),
    })
    expect(wrapper.get('h2').text()).toBe('No tickets match these filters')
    expect(wrapper.findAll('button').some((b) => b.text() === 'Clear filters')).toBe(true)
  })
})

describe('Agent dashboard', () => {
  it('shows each count with its short list', () => {
    const wrapper = mount(Dashboard, {
      props: {
        counts: { my_open: 1, unassigned: 7, breaching_soon: 0, breached: 0, resolved_today: 0 },
        my_open: [ticket({ assigned_to: agents[0]! })],
        unassigned: [ticket({ id: 50, reference: 'ESC-00050', subject: 'New one' })],
        breaching_soon: [],
        breached: [],
        resolved_today: [],
        sla_warning_percent: 80,
      },
    })
    const unassigned = wrapper.get('section[aria-labelledby="list-unassigned"]')
    expect(unassigned.get('h2').text()).toBe('Unassigned (7)')
    expect(unassigned.text()).toContain('New one')
    expect(unassigned.get('[role="timer"]').attributes('aria-label')).toMatch(/^First response:/)
    expect(unassigned.findAll('a').map((a) => a.attributes('href'))).toContain(
      '/support/agent/tickets/?assignee=unassigned',
    )
    expect(wrapper.get('section[aria-labelledby="list-breached"]').text()).toContain(
      'No open ticket has breached its SLA.',
    )
  })

  it('links the SLA counts and lists to the matching SLA filter', () => {
    const many = (n: number) =>
      Array.from({ length: n }, (_, i) => ticket({ id: 100 + i, reference: `ESC-0${100 + i}` }))
    const wrapper = mount(Dashboard, {
      props: {
        counts: { my_open: 0, unassigned: 0, breaching_soon: 9, breached: 4, resolved_today: 0 },
        my_open: [],
        unassigned: [],
        breaching_soon: many(2),
        breached: many(1),
        resolved_today: [],
        sla_warning_percent: 80,
      },
    })
    const counts = wrapper.get('ul[aria-label="Counts"]')
    const countHref = (title: string) =>
      counts
        .findAll('a')
        .find((a) => a.text().startsWith(title))!
        .attributes('href')
    expect(countHref('Breaching soon')).toBe('/support/agent/tickets/?sla=at_risk&sort=due')
    expect(countHref('SLA breached')).toBe('/support/agent/tickets/?sla=breached')

    const viewAll = (name: string) =>
      wrapper
        .get(`section[aria-labelledby="list-${name}"]`)
        .findAll('a')
        .find((a) => a.text().startsWith('View all'))!
        .attributes('href')
    expect(viewAll('breaching_soon')).toBe('/support/agent/tickets/?sla=at_risk&sort=due')
    expect(viewAll('breached')).toBe('/support/agent/tickets/?sla=breached')
  })
})
