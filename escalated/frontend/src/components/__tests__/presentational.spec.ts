import { mount } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import { h } from 'vue'

import { activity, agents, tags, UUID_GRACE, uuidAgents } from '@/test/fixtures'
import { setPage, sharedProps, user } from '@/test/page'
import type { FormFieldControlAttrs } from '@/types/ui'

import AppLayout from '../../layouts/AppLayout.vue'
import ActivityTimeline from '../ActivityTimeline.vue'
import BulkActionBar from '../BulkActionBar.vue'
import DataTable from '../DataTable.vue'
import EmptyState from '../EmptyState.vue'
import FlashMessages from '../FlashMessages.vue'
import FormField from '../FormField.vue'
import Pagination from '../Pagination.vue'
import PriorityBadge from '../PriorityBadge.vue'
import StatusBadge from '../StatusBadge.vue'

describe('FormField', () => {
  it('links label, hint and error to the control', () => {
    const wrapper = mount(FormField, {
      props: {
        label: 'Subject',
        hint: 'A short summary',
        error: 'This field is required.',
        required: true,
      },
      slots: { default: ({ attrs }: { attrs: FormFieldControlAttrs }) => h('input', { ...attrs }) },
    })
    const input = wrapper.get('input')
    const id = input.attributes('id')!
    expect(wrapper.get('label').attributes('for')).toBe(id)
    expect(input.attributes('aria-invalid')).toBe('true')
    expect(input.attributes('required')).toBeDefined()
    const described = input.attributes('aria-describedby')!.split(' ')
    expect(described.map((d) => wrapper.get(`#${d}`).text())).toEqual([
      'A short summary',
      'This field is required.',
    ])
  })

  it('is not invalid without an error', () => {
    const wrapper = mount(FormField, {
      props: { label: 'Name', id: 'name' },
      slots: { default: ({ attrs }: { attrs: FormFieldControlAttrs }) => h('input', { ...attrs }) },
    })
    expect(wrapper.get('input').attributes('aria-invalid')).toBeUndefined()
    expect(wrapper.get('input').attributes('aria-describedby')).toBeUndefined()
    expect(wrapper.get('input').attributes('id')).toBe('name')
  })
})

describe('badges', () => {
  it('show the server label, or an English fallback', () => {
    expect(mount(StatusBadge, { props: { status: 'waiting_on_customer' } }).text()).toBe(
      'Status: Waiting on customer',
    )
    expect(mount(StatusBadge, { props: { status: 'open', label: 'Ouvert' } }).text()).toBe(
      'Status: Ouvert',
    )
    expect(mount(PriorityBadge, { props: { priority: 'critical' } }).text()).toBe(
      'Priority: Critical',
    )
  })
})

describe('DataTable', () => {
  const slots = {
    head: '<tr><th scope="col">Name</th></tr>',
    default: '<tr><td>Ada</td></tr>',
  }

  it('names the table by its caption and keeps header scopes', () => {
    const wrapper = mount(DataTable, { props: { caption: 'People' }, slots })
    expect(wrapper.get('caption').text()).toBe('People')
    expect(wrapper.get('thead th').attributes('scope')).toBe('col')
    expect(wrapper.get('tbody td').text()).toBe('Ada')
  })

  it('contains its sr-only texts in the scroll box instead of widening the page', () => {
    // An absolutely positioned descendant (Tailwind's sr-only) escapes an overflow box
    // that is not its containing block, and then widens the whole page on a phone.
    const wrapper = mount(DataTable, { props: { caption: 'People' }, slots })
    expect(wrapper.classes()).toEqual(expect.arrayContaining(['relative', 'overflow-x-auto']))
  })

  it('pads cells everywhere, or only from sm up when stacked', () => {
    const plain = mount(DataTable, { props: { caption: 'People' }, slots }).get('table')
    expect(plain.classes()).toContain('[&_td]:px-3')
    expect(plain.classes()).not.toContain('max-sm:block')

    const stacked = mount(DataTable, { props: { caption: 'People', stacked: true }, slots })
    const table = stacked.get('table')
    expect(table.classes()).toEqual(
      expect.arrayContaining(['max-sm:block', 'max-sm:[&>tbody]:block', 'sm:[&_td]:px-4']),
    )
    expect(table.classes()).not.toContain('[&_td]:px-3')
  })
})

describe('Pagination', () => {
  it('keeps the filters in every page link and marks the current page', () => {
    setPage({ url: '/support/agent/tickets/?status=open&page=2' })
    const wrapper = mount(Pagination, {
      props: { meta: { total: 95, per_page: 20, current_page: 2, last_page: 5 } },
    })
    const hrefs = wrapper.findAll('a').map((a) => a.attributes('href'))
    expect(hrefs).toContain('/support/agent/tickets/?status=open')
    expect(hrefs).toContain('/support/agent/tickets/?status=open&page=3')
    expect(wrapper.get('[aria-current="page"]').text()).toBe('Page 2')
    expect(wrapper.text()).toContain('Showing 21–40 of 95')
    expect(wrapper.get('a[rel="next"]').attributes('href')).toBe(
      '/support/agent/tickets/?status=open&page=3',
    )
  })

  it('marks a capped total as a lower bound', () => {
    const wrapper = mount(Pagination, {
      props: {
        meta: { total: 1000, per_page: 25, current_page: 1, last_page: 40, total_is_exact: false },
        url: '/t/',
      },
    })
    expect(wrapper.text()).toContain('Showing 1–25 of 1,000+')
  })

  it('disables Previous on the first page', () => {
    const wrapper = mount(Pagination, {
      props: { meta: { total: 30, per_page: 20, current_page: 1, last_page: 2 }, url: '/t/' },
    })
    expect(wrapper.find('a[rel="prev"]').exists()).toBe(false)
    expect(wrapper.findAll('[aria-disabled="true"]')).toHaveLength(1)
  })
})

describe('BulkActionBar', () => {
  it('is hidden with nothing selected', () => {
    expect(
      mount(BulkActionBar, { props: { count: 0 } })
        .find('section')
        .exists(),
    ).toBe(false)
  })

  it('assigns to an agent keyed by a UUID', async () => {
    const wrapper = mount(BulkActionBar, { props: { count: 2, agents: uuidAgents, tags } })
    const [action, value] = wrapper.findAll('select')
    await action!.setValue('assign')
    await value!.setValue(UUID_GRACE)
    await wrapper
      .findAll('button')
      .find((b) => b.text() === 'Apply')!
      .trigger('click')
    expect(wrapper.find('[role="alert"]').exists()).toBe(false)
    expect(wrapper.emitted('apply')).toEqual([[{ action: 'assign', value: UUID_GRACE }]])
  })

  it('emits the bulk endpoint vocabulary, and asks for a value when one is needed', async () => {
    const wrapper = mount(BulkActionBar, { props: { count: 3, agents, tags } })
    expect(wrapper.text()).toContain('3 tickets selected')
    const apply = wrapper.findAll('button').find((b) => b.text() === 'Apply')!
    const selects = () => wrapper.findAll('select')

    await apply.trigger('click')
    expect(wrapper.emitted('apply')).toBeUndefined()
    expect(wrapper.get('[role="alert"]').text()).toBe('Pick an agent.')
    expect(
      selects()[1]!
        .findAll('option')
        .map((o) => o.text()),
    ).toEqual(['Choose…', 'Me', 'Ada', 'Grace'])

    await selects()[1]!.setValue('2')
    await apply.trigger('click')
    expect(wrapper.emitted('apply')?.[0]).toEqual([{ action: 'assign', value: 2 }])

    await selects()[1]!.setValue('me')
    await apply.trigger('click')
    expect(wrapper.emitted('apply')?.[1]).toEqual([{ action: 'assign', value: 'me' }])

    await selects()[0]!.setValue('status')
    await selects()[1]!.setValue('resolved')
    await apply.trigger('click')
    expect(wrapper.emitted('apply')?.[2]).toEqual([{ action: 'status', value: 'resolved' }])

    await selects()[0]!.setValue('remove_tag')
    await selects()[1]!.setValue('21')
    await apply.trigger('click')
    expect(wrapper.emitted('apply')?.[3]).toEqual([{ action: 'remove_tag', value: 21 }])

    await selects()[0]!.setValue('unassign')
    expect(selects()).toHaveLength(1)
    await apply.trigger('click')
    expect(wrapper.emitted('apply')?.[4]).toEqual([{ action: 'unassign', value: null }])
  })

  it('emits clear', async () => {
    const wrapper = mount(BulkActionBar, { props: { count: 1 } })
    await wrapper
      .findAll('button')
      .find((b) => b.text() === 'Clear selection')!
      .trigger('click')
    expect(wrapper.emitted('clear')).toHaveLength(1)
  })
})

describe('ActivityTimeline', () => {
  it('lists entries newest first with actor and sentence', () => {
    const wrapper = mount(ActivityTimeline, {
      props: {
        activities: [
          activity({ id: 1, created_at: '2025-01-01T10:00:00Z' }),
          activity({
            id: 2,
            type: 'priority_changed',
            data: { from: 'low', to: 'urgent' },
            actor: null,
            created_at: '2025-01-02T10:00:00Z',
          }),
        ],
      },
    })
    const items = wrapper.findAll('li')
    expect(items[0]!.text()).toContain('System changed the priority from Low to Urgent')
    expect(items[1]!.text()).toContain('Ada created the ticket')
    expect(items[0]!.get('time').attributes('datetime')).toBe('2025-01-02T10:00:00Z')
  })

  it('says when there is nothing yet', () => {
    expect(mount(ActivityTimeline, { props: { activities: [] } }).text()).toBe('No activity yet.')
  })
})

describe('EmptyState', () => {
  it('renders title, description and actions', () => {
    const wrapper = mount(EmptyState, {
      props: { title: 'No tickets', description: 'Nothing matches these filters.', level: 3 },
      slots: { default: () => h('a', { href: '/x' }, 'Clear filters') },
    })
    expect(wrapper.get('h3').text()).toBe('No tickets')
    expect(wrapper.text()).toContain('Nothing matches these filters.')
    expect(wrapper.get('a').text()).toBe('Clear filters')
  })
})

describe('FlashMessages', () => {
  it('shows shared flash props and Django messages in a status region, dismissible', async () => {
    setPage({
      props: sharedProps({ flash: { success: 'Reply sent.' } }),
      flash: { messages: [{ level: 'error', message: 'Could not reach the cloud.' }] },
    })
    const wrapper = mount(FlashMessages)
    wrapper.get('[role="status"]')
    const messages = wrapper.findAll('[data-kind]')
    expect(messages.map((m) => [m.attributes('data-kind'), m.get('p').text()])).toEqual([
      ['success', 'Reply sent.'],
      ['error', 'Error: Could not reach the cloud.'],
    ])
    await messages[0]!.get('button').trigger('click')
    expect(wrapper.findAll('[data-kind]')).toHaveLength(1)
  })
})

describe('AppLayout', () => {
  const mountLayout = () => mount(AppLayout, { slots: { default: () => h('p', 'Page body') } })

  it('shows customer links to customers', () => {
    setPage({ url: '/support/tickets/', props: sharedProps({ auth: { user: user() } }) })
    const wrapper = mountLayout()
    const main = wrapper.get('nav[aria-label="Main"]')
    expect(main.findAll('a').map((a) => a.text())).toEqual(['My tickets', 'New ticket'])
    expect(main.get('[aria-current="page"]').text()).toBe('My tickets')
    expect(wrapper.get('main').text()).toContain('Page body')
  })

  it('shows agent links, and the admin section to admins', () => {
    setPage({
      url: '/support/admin/sla-policies/',
      props: sharedProps({ auth: { user: user({ is_agent: true, is_admin: true }) } }),
    })
    const wrapper = mountLayout()
    const main = wrapper.get('nav[aria-label="Main"]')
    expect(main.findAll('a').map((a) => a.text())).toEqual(['Dashboard', 'Tickets', 'Admin'])
    const admin = wrapper.get('nav[aria-label="Admin"]')
    expect(admin.get('[aria-current="page"]').text()).toBe('SLA policies')
  })

  it('toggles the mobile menu with aria-expanded and closes it on Escape', async () => {
    setPage({ props: sharedProps({ auth: { user: user({ is_agent: true }) } }) })
    const wrapper = mount(AppLayout, { attachTo: document.body, slots: { default: () => 'x' } })
    const button = wrapper.get('button[aria-controls]')
    const menu = wrapper.get(`#${button.attributes('aria-controls')}`)
    expect(button.attributes('aria-expanded')).toBe('false')
    expect(menu.isVisible()).toBe(false)
    await button.trigger('click')
    expect(button.attributes('aria-expanded')).toBe('true')
    expect(menu.isVisible()).toBe(true)
    await wrapper.get('header').trigger('keydown', { key: 'Escape' })
    expect(button.attributes('aria-expanded')).toBe('false')
    wrapper.unmount()
  })

  it('does not leak page props onto its root element', () => {
    setPage({ props: sharedProps({ auth: { user: user() } }) })
    const wrapper = mount(AppLayout, { attrs: { ticket: '{}' }, slots: { default: () => 'x' } })
    expect(wrapper.attributes('ticket')).toBeUndefined()
  })
})

describe('no console errors', () => {
  it('renders the layout without warnings', () => {
    const warn = vi.spyOn(console, 'warn')
    setPage({ props: sharedProps({ auth: { user: user({ is_agent: true }) } }) })
    mount(AppLayout, { slots: { default: () => 'x' } })
    expect(warn).not.toHaveBeenCalled()
  })
})
