import { router } from '@inertiajs/vue3'
import { mount } from '@vue/test-utils'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, h } from 'vue'

import {
  agents,
  choices,
  departments,
  tags,
  UUID_ADA,
  UUID_GRACE,
  uuidAgents,
} from '@/test/fixtures'
import { setPage, sharedProps, user } from '@/test/page'
import type { AdminReportsProps, SlaPolicyData } from '@/types/pages'

import DepartmentForm from '../Escalated/Admin/Departments/Form.vue'
import RuleForm from '../Escalated/Admin/EscalationRules/Form.vue'
import Reports from '../Escalated/Admin/Reports.vue'
import SlaForm from '../Escalated/Admin/SlaPolicies/Form.vue'
import SlaIndex from '../Escalated/Admin/SlaPolicies/Index.vue'

// chart.js needs a canvas; the page only has to hand the chart its data.
vi.mock('@/components/charts/LazyReportChart', () => ({
  default: defineComponent({
    props: { title: String, labels: Array, series: Array },
    setup: (props) => () =>
      h('figure', { 'data-title': props.title }, JSON.stringify(props.series)),
  }),
}))

beforeEach(() => {
  setPage({
    url: '/support/admin/',
    props: sharedProps({ auth: { user: user({ is_agent: true, is_admin: true }) } }),
  })
})

const gold: SlaPolicyData = {
  id: 3,
  name: 'Gold',
  description: '',
  is_default: false,
  is_active: true,
  first_response_hours: { urgent: 1 },
  resolution_hours: { urgent: 4 },
  schedule: {
    id: 8,
    name: 'Gold hours',
    timezone: 'Europe/Paris',
    start_time: '08:00',
    end_time: '18:00',
    days: [1, 2, 3, 4, 5],
    holidays: [{ id: 1, date: '2027-01-01', name: 'New Year' }],
  },
}

const slaFormProps = { schedules: [], timezones: ['Europe/Paris', 'UTC'], choices }

describe('SLA policy form', () => {
  it('creates a policy on the default business hours', async () => {
    const post = vi.spyOn(router, 'post').mockImplementation(() => undefined)
    const wrapper = mount(SlaForm, { props: { policy: null, ...slaFormProps } })
    await wrapper.get('input[name="name"]').setValue('Silver')
    await wrapper.get('input[name="first_response_hours.high"]').setValue('4')
    await wrapper.get('form').trigger('submit')
    expect(post).toHaveBeenCalledWith(
      '/support/admin/sla-policies/',
      {
        name: 'Silver',
        description: '',
        is_default: false,
        is_active: true,
        first_response_hours: { low: '', medium: '', high: 4, urgent: '', critical: '' },
        resolution_hours: { low: '', medium: '', high: '', urgent: '', critical: '' },
        schedule: null,
      },
      expect.any(Object),
    )
  })

  it('edits the schedule: working days and holidays added and removed', async () => {
    const put = vi.spyOn(router, 'put').mockImplementation(() => undefined)
    const wrapper = mount(SlaForm, {
      props: { policy: gold, ...slaFormProps },
      attachTo: document.body,
    })
    expect((wrapper.get('select[name="timezone"]').element as HTMLSelectElement).value).toBe(
      'Europe/Paris',
    )

    await wrapper.get('input[name="days"][value="6"]').setValue(true)
    await wrapper
      .findAll('button')
      .find((b) => b.text() === 'Add holiday')!
      .trigger('click')
    const dates = wrapper.findAll('input[type="date"]')
    expect(dates).toHaveLength(2)
    expect(document.activeElement).toBe(dates[1]!.element)
    await dates[1]!.setValue('2027-12-25')
    await wrapper.get('button[aria-label="Remove holiday 1 (2027-01-01)"]').trigger('click')
    await wrapper.get('form').trigger('submit')

    const [url, data] = put.mock.calls[0] as [string, { schedule: unknown }]
    expect(url).toBe('/support/admin/sla-policies/3/')
    expect(data.schedule).toEqual({
      timezone: 'Europe/Paris',
      start_time: '08:00',
      end_time: '18:00',
      days: [1, 2, 3, 4, 5, 6],
      holidays: [{ date: '2027-12-25', name: '' }],
    })
    wrapper.unmount()
  })

  it('shows the server errors of nested schedule fields next to them', async () => {
    vi.spyOn(router, 'put').mockImplementation((_url, _data, options) => {
      options?.onError?.({
        'schedule.timezone': "Unknown time zone 'Mars/Olympus'.",
        holidays: 'Holiday 1: enter a date as YYYY-MM-DD.',
      })
    })
    const wrapper = mount(SlaForm, { props: { policy: gold, ...slaFormProps } })
    await wrapper.get('form').trigger('submit')
    const timezone = wrapper.get('select[name="timezone"]')
    expect(timezone.attributes('aria-invalid')).toBe('true')
    expect(wrapper.get(`#${timezone.attributes('aria-describedby')}`).text()).toBe(
      "Unknown time zone 'Mars/Olympus'.",
    )
    expect(wrapper.text()).toContain('Holiday 1: enter a date as YYYY-MM-DD.')
  })
})

describe('SLA policy list', () => {
  it('summarises targets and business hours', () => {
    const wrapper = mount(SlaIndex, { props: { policies: [gold] } })
    const row = wrapper.get('tbody tr')
    expect(row.text()).toContain('Mon–Fri 08:00–18:00 (Europe/Paris)')
    expect(row.text()).toContain('1 holiday')
    expect(row.text()).toContain('1 h / 4 h')
  })
})

describe('Escalation rule form', () => {
  it('posts the rule with its conditions and actions as the server validates them', async () => {
    const post = vi.spyOn(router, 'post').mockImplementation(() => undefined)
    const wrapper = mount(RuleForm, {
      props: { rule: null, agents, departments, tags, choices },
    })
    await wrapper.get('input[name="name"]').setValue('Stale tickets')
    await wrapper.get('form').trigger('submit')
    expect(post).toHaveBeenCalledWith(
      '/support/admin/escalation-rules/',
      {
        name: 'Stale tickets',
        description: '',
        is_active: true,
        position: '',
        conditions: [{ field: 'hours_without_first_response', operator: 'gte', value: 4 }],
        actions: [{ type: 'escalate', value: null }],
      },
      expect.any(Object),
    )
  })
})

describe('Department form', () => {
  it('sends the chosen agents as ids', async () => {
    const put = vi.spyOn(router, 'put').mockImplementation(() => undefined)
    const department = {
      ...departments[0]!,
      description: '',
      is_active: true,
      agents: [agents[0]!],
    }
    const wrapper = mount(DepartmentForm, { props: { department, agents } })
    await wrapper.get('input[name="agent_ids"][value="2"]').setValue(true)
    await wrapper.get('form').trigger('submit')
    expect(put).toHaveBeenCalledWith(
      '/support/admin/departments/10/',
      expect.objectContaining({ name: 'Billing', agent_ids: [1, 2] }),
      expect.any(Object),
    )
  })
})

describe('Department form of a host keyed by UUIDs', () => {
  it('checks the members and sends the chosen agents as their UUIDs', async () => {
    const put = vi.spyOn(router, 'put').mockImplementation(() => undefined)
    const department = {
      ...departments[0]!,
      description: '',
      is_active: true,
      agents: [uuidAgents[0]!],
    }
    const wrapper = mount(DepartmentForm, { props: { department, agents: uuidAgents } })
    const box = (id: string) => wrapper.get(`input[name="agent_ids"][value="${id}"]`)
    expect((box(UUID_ADA).element as HTMLInputElement).checked).toBe(true)
    expect((box(UUID_GRACE).element as HTMLInputElement).checked).toBe(false)
    await box(UUID_GRACE).setValue(true)
    await wrapper.get('form').trigger('submit')
    expect(put).toHaveBeenCalledWith(
      '/support/admin/departments/10/',
      expect.objectContaining({ agent_ids: [UUID_ADA, UUID_GRACE] }),
      expect.any(Object),
    )
  })
})

describe('Reports', () => {
  const props: AdminReportsProps = {
    range: { from: '2025-01-01', to: '2025-01-30', days: 30 },
    totals: {
      created: 12,
      resolved: 9,
      open: 3,
      sla_breached: 3,
      sla_breach_rate: 0.25,
      avg_first_response_hours: 0.5,
      avg_resolution_hours: 30,
      csat_average: 4.5,
      csat_count: 2,
    },
    volume: { labels: ['2025-01-01'], series: [{ label: 'Created', data: [12] }] },
    by_status: [{ status: 'open', label: 'Open', count: 3 }],
    by_priority: [{ priority: 'high', label: 'High', count: 5 }],
    by_agent: [{ agent: agents[0]!, assigned: 4, resolved: 3 }],
  }

  it('shows the key figures, the charts and the per-agent table', () => {
    const wrapper = mount(Reports, { props })
    const figures = Object.fromEntries(
      wrapper.findAll('dl > div').map((d) => [d.get('dt').text(), d.get('dd').text()]),
    )
    expect(figures).toMatchObject({
      'SLA breach rate': '25%',
      'Mean first response': '30 min',
      'Mean resolution': '30 h',
      'Customer satisfaction': '4.5 / 5',
    })
    expect(wrapper.findAll('figure').map((f) => f.attributes('data-title'))).toEqual([
      'Tickets created and resolved per day',
      'All tickets by status',
      'All tickets by priority',
    ])
    expect(wrapper.get('tbody tr').text()).toMatch(/Ada\s*4\s*3/)
    expect(wrapper.get('[aria-current="page"]').text()).toBe('30 days')
  })
})
