import { router } from '@inertiajs/vue3'
import { mount } from '@vue/test-utils'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

import { agents, departments, tags, UUID_GRACE, uuidAgents } from '@/test/fixtures'
import { setPage } from '@/test/page'

import TicketFilters from '../TicketFilters.vue'

const VISIT_OPTIONS = { preserveState: true, preserveScroll: true, replace: true }

function mountFilters(props: Record<string, unknown> = {}) {
  return mount(TicketFilters, { props: { agents, departments, tags, ...props } })
}

describe('TicketFilters', () => {
  let get: ReturnType<typeof vi.spyOn>

  beforeEach(() => {
    get = vi.spyOn(router, 'get').mockImplementation(() => undefined)
    setPage({ url: '/support/agent/tickets/?status=open&page=3' })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('reads its initial state from the page URL', () => {
    const wrapper = mountFilters()
    expect((wrapper.get('select[name="status"]').element as HTMLSelectElement).value).toBe('open')
  })

  it('prefers the filters the server sends', () => {
    const wrapper = mountFilters({ filters: { assignee: 'me', tag: 21, sla: 'at_risk' } })
    expect((wrapper.get('select[name="assignee"]').element as HTMLSelectElement).value).toBe('me')
    expect((wrapper.get('select[name="tag"]').element as HTMLSelectElement).value).toBe('21')
    expect((wrapper.get('select[name="sla"]').element as HTMLSelectElement).value).toBe('at_risk')
  })

  it('visits the list with the query and back on page 1 when a select changes', async () => {
    const wrapper = mountFilters()
    await wrapper.get('select[name="priority"]').setValue('urgent')
    expect(get).toHaveBeenCalledWith(
      '/support/agent/tickets/',
      { status: 'open', priority: 'urgent' },
      VISIT_OPTIONS,
    )
    expect(wrapper.emitted('change')?.[0]?.[1]).toEqual({ status: 'open', priority: 'urgent' })
  })

  it('offers "me" and "unassigned" and agents as assignees', async () => {
    const wrapper = mountFilters()
    const options = wrapper.findAll('select[name="assignee"] option').map((o) => o.text())
    expect(options).toEqual(['Anyone', 'Me', 'Unassigned', 'Ada', 'Grace'])

    await wrapper.get('select[name="assignee"]').setValue('unassigned')
    expect(get).toHaveBeenLastCalledWith(
      '/support/agent/tickets/',
      { status: 'open', assignee: 'unassigned' },
      VISIT_OPTIONS,
    )
    await wrapper.get('select[name="assignee"]').setValue('2')
    expect(get.mock.lastCall?.[1]).toEqual({ status: 'open', assignee: '2' })
  })

  it('sends a UUID agent as the assignee, and shows it selected', async () => {
    const wrapper = mountFilters({ agents: uuidAgents })
    await wrapper.get('select[name="assignee"]').setValue(UUID_GRACE)
    expect(get).toHaveBeenLastCalledWith(
      '/support/agent/tickets/',
      { status: 'open', assignee: UUID_GRACE },
      VISIT_OPTIONS,
    )
    expect(wrapper.emitted('change')?.at(-1)?.[0]).toMatchObject({ assignee: UUID_GRACE })

    const echoed = mountFilters({ agents: uuidAgents, filters: { assignee: UUID_GRACE } })
    expect((echoed.get('select[name="assignee"]').element as HTMLSelectElement).value).toBe(
      UUID_GRACE,
    )
  })

  it('sends department, tag, SLA and sort', async () => {
    const wrapper = mountFilters()
    await wrapper.get('select[name="department"]').setValue('11')
    await wrapper.get('select[name="tag"]').setValue('20')
    await wrapper.get('select[name="sla"]').setValue('breached')
    await wrapper.get('select[name="sort"]').setValue('due')
    expect(get.mock.lastCall?.[1]).toEqual({
      status: 'open',
      department: '11',
      tag: '20',
      sla: 'breached',
      sort: 'due',
    })
  })

  it('offers Any, Breached and At risk as the SLA filter, labelled "SLA"', async () => {
    const wrapper = mountFilters()
    const select = wrapper.get('select[name="sla"]')
    expect(wrapper.get(`label[for="${select.attributes('id')}"]`).text()).toBe('SLA')
    expect(select.findAll('option').map((o) => [o.attributes('value'), o.text()])).toEqual([
      ['', 'Any'],
      ['breached', 'Breached'],
      ['at_risk', 'At risk'],
    ])
    expect(wrapper.find('input[type="checkbox"]').exists()).toBe(false)

    await select.setValue('at_risk')
    expect(get.mock.lastCall?.[1]).toEqual({ status: 'open', sla: 'at_risk' })
    await select.setValue('')
    expect(get.mock.lastCall?.[1]).toEqual({ status: 'open' })
  })

  it('reads the legacy sla_breached=1 in the page URL as "Breached"', () => {
    setPage({ url: '/support/agent/tickets/?sla_breached=1' })
    const wrapper = mountFilters()
    expect((wrapper.get('select[name="sla"]').element as HTMLSelectElement).value).toBe('breached')
  })

  it('debounces typing in the search box', async () => {
    vi.useFakeTimers()
    const wrapper = mountFilters({ debounce: 300 })
    const input = wrapper.get('input[name="search"]')
    await input.setValue('prin')
    await input.setValue('printer')
    vi.advanceTimersByTime(299)
    expect(get).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(get).toHaveBeenCalledTimes(1)
    expect(get.mock.lastCall?.[1]).toEqual({ status: 'open', search: 'printer' })
  })

  it('searches at once on Enter and drops the pending debounced call', async () => {
    vi.useFakeTimers()
    const wrapper = mountFilters()
    await wrapper.get('input[name="search"]').setValue('refund')
    await wrapper.get('form').trigger('submit')
    expect(get).toHaveBeenCalledTimes(1)
    vi.advanceTimersByTime(1000)
    expect(get).toHaveBeenCalledTimes(1)
  })

  it('clears every filter but keeps the sort', async () => {
    setPage({ url: '/support/agent/tickets/?status=open&tag=20&sort=due' })
    const wrapper = mountFilters()
    const clear = wrapper.findAll('button').find((b) => b.text().startsWith('Clear filters'))
    expect(clear?.text()).toContain('(2)')
    await clear!.trigger('click')
    expect(get.mock.lastCall?.[1]).toEqual({ sort: 'due' })
  })

  it('keeps the page size the server echoes when a filter changes or is cleared', async () => {
    const wrapper = mountFilters({
      filters: { status: 'open', page: 3, per_page: 50 },
    })
    await wrapper.get('select[name="sla"]').setValue('at_risk')
    expect(get.mock.lastCall?.[1]).toEqual({ status: 'open', sla: 'at_risk', per_page: '50' })

    const clear = wrapper.findAll('button').find((b) => b.text().startsWith('Clear filters'))
    await clear!.trigger('click')
    expect(get.mock.lastCall?.[1]).toEqual({ per_page: '50' })
  })

  it('does not visit when nothing changed', async () => {
    const wrapper = mountFilters()
    await wrapper.get('select[name="status"]').setValue('open')
    expect(get).not.toHaveBeenCalled()
  })

  it('only emits when navigate is off', async () => {
    const wrapper = mountFilters({ navigate: false })
    await wrapper.get('select[name="status"]').setValue('closed')
    expect(get).not.toHaveBeenCalled()
    expect(wrapper.emitted('change')).toHaveLength(1)
  })

  it('folds the selects behind a toggle on phones, with the active count', async () => {
    const wrapper = mountFilters()
    const toggle = wrapper.get('button[aria-controls]')
    const panel = wrapper.get(`#${toggle.attributes('aria-controls')}`)
    expect(panel.find('select[name="status"]').exists()).toBe(true)
    expect(toggle.attributes('aria-expanded')).toBe('false')
    expect(panel.classes()).toContain('hidden') // below sm; sm:grid shows it on wider screens
    expect(toggle.text()).toContain('(1 active)') // status=open from the URL

    await toggle.trigger('click')
    expect(toggle.attributes('aria-expanded')).toBe('true')
    expect(panel.classes()).toContain('grid')
    expect(panel.classes()).not.toContain('hidden')
  })

  it('labels every control', () => {
    const wrapper = mountFilters()
    for (const control of wrapper.findAll('input, select')) {
      const id = control.attributes('id')
      expect(id, control.html()).toBeTruthy()
      expect(wrapper.find(`label[for="${id}"]`).exists(), `label for ${id}`).toBe(true)
    }
  })
})
