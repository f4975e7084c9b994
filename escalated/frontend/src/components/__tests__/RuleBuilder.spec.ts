import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'

import { toPayload } from '@/lib/rules'
import { agents, departments, tags, UUID_GRACE, uuidAgents } from '@/test/fixtures'
import type { RuleDefinition } from '@/types/rules'

import RuleBuilder from '../RuleBuilder.vue'

function mountBuilder(modelValue: RuleDefinition, props: Record<string, unknown> = {}) {
  const wrapper: VueWrapper = mount(RuleBuilder, {
    attachTo: document.body,
    props: {
      modelValue,
      agents,
      departments,
      tags,
      'onUpdate:modelValue': (value: RuleDefinition) =>
        wrapper.setProps({ modelValue: value } as never),
      ...props,
    },
  })
  return wrapper
}

const model = (w: VueWrapper) => (w.props() as { modelValue: RuleDefinition }).modelValue
const buttonByText = (w: VueWrapper, text: string) =>
  w.findAll('button').find((b) => b.text().includes(text))!
const optionValues = (w: VueWrapper, selector: string) =>
  w
    .get(selector)
    .findAll('option')
    .map((o) => o.attributes('value'))

describe('RuleBuilder', () => {
  it('adds a condition row and focuses its field', async () => {
    const wrapper = mountBuilder({ conditions: [], actions: [] })
    await buttonByText(wrapper, 'Add condition').trigger('click')
    await flushPromises()
    expect(model(wrapper).conditions).toEqual([{ field: 'status', operator: 'in', value: [] }])
    const field = wrapper.get('[data-testid="condition-field"]')
    expect(document.activeElement).toBe(field.element)
    wrapper.unmount()
  })

  it('adds an action row and focuses its type; removing a row focuses the add button', async () => {
    const wrapper = mountBuilder({
      conditions: [{ field: 'sla', operator: 'is', value: 'breached' }],
      actions: [],
    })
    await buttonByText(wrapper, 'Add action').trigger('click')
    await flushPromises()
    expect(model(wrapper).actions).toEqual([{ type: 'escalate', value: null }])
    expect(document.activeElement).toBe(wrapper.get('[data-testid="action-type"]').element)

    await wrapper.get('button[aria-label="Remove action 1"]').trigger('click')
    await flushPromises()
    expect(model(wrapper).actions).toEqual([])
    expect(document.activeElement).toBe(buttonByText(wrapper, 'Add action').element)

    await wrapper.get('button[aria-label="Remove condition 1"]').trigger('click')
    await flushPromises()
    expect(document.activeElement).toBe(buttonByText(wrapper, 'Add condition').element)
    wrapper.unmount()
  })

  it('numbers the rows for assistive technology', () => {
    const wrapper = mountBuilder({
      conditions: [
        { field: 'sla', operator: 'is', value: 'breached' },
        { field: 'assigned', operator: 'is', value: false },
      ],
      actions: [{ type: 'escalate', value: null }],
    })
    expect(wrapper.findAll('li').map((li) => li.attributes('aria-label'))).toEqual([
      'Condition 1',
      'Condition 2',
      'Action 1',
    ])
    expect(wrapper.findAll('button[aria-label^="Remove"]').map((b) => b.text())).toEqual([
      'Remove',
      'Remove',
      'Remove',
    ])
    for (const select of wrapper.findAll('select')) {
      expect(wrapper.find(`label[for="${select.attributes('id')}"]`).exists()).toBe(true)
    }
    wrapper.unmount()
  })

  it('words a yes/no value by the operator', () => {
    const wrapper = mountBuilder({
      conditions: [{ field: 'assigned', operator: 'is', value: false }],
      actions: [],
    })
    const select = wrapper.get('[data-testid="condition-value"] select')
    expect(select.findAll('option').map((o) => o.text())).toEqual([
      'Assigned to someone',
      'Unassigned',
    ])
    expect((select.element as HTMLSelectElement).value).toBe('false')
    wrapper.unmount()
  })

  it('offers only the operators of the chosen field', async () => {
    const wrapper = mountBuilder({
      conditions: [{ field: 'status', operator: 'in', value: [] }],
      actions: [],
    })
    expect(optionValues(wrapper, '[data-testid="condition-operator"]')).toEqual(['in', 'not_in'])

    await wrapper.get('[data-testid="condition-field"]').setValue('department')
    expect(optionValues(wrapper, '[data-testid="condition-operator"]')).toEqual([
      'in',
      'not_in',
      'is_empty',
    ])

    await wrapper.get('[data-testid="condition-field"]').setValue('hours_without_first_response')
    expect(optionValues(wrapper, '[data-testid="condition-operator"]')).toEqual(['gte'])
    expect(model(wrapper).conditions[0]).toEqual({
      field: 'hours_without_first_response',
      operator: 'gte',
      value: 4,
    })
    wrapper.unmount()
  })

  it('switches the value input with the field and operator', async () => {
    const wrapper = mountBuilder({
      conditions: [{ field: 'status', operator: 'in', value: [] }],
      actions: [],
    })
    const value = () => wrapper.get('[data-testid="condition-value"]')
    expect(value().findAll('input[type="checkbox"]')).toHaveLength(8)

    await wrapper.get('[data-testid="condition-field"]').setValue('department')
    expect(
      value()
        .findAll('input[type="checkbox"]')
        .map((c) => c.attributes('value')),
    ).toEqual(['10', '11'])

    await wrapper.get('[data-testid="condition-operator"]').setValue('is_empty')
    expect(value().find('select').exists()).toBe(true)
    expect(model(wrapper).conditions[0]).toEqual({
      field: 'department',
      operator: 'is_empty',
      value: true,
    })

    await wrapper.get('[data-testid="condition-field"]').setValue('hours_since_created')
    expect(value().get('input[type="number"]').attributes('min')).toBe('0')

    await wrapper.get('[data-testid="condition-field"]').setValue('sla')
    expect(
      value()
        .findAll('option')
        .map((o) => o.attributes('value')),
    ).toEqual(['breached', 'at_risk'])

    await wrapper.get('[data-testid="condition-field"]').setValue('tag')
    expect(
      value()
        .findAll('option')
        .map((o) => o.text()),
    ).toEqual(['Choose a tag…', 'VIP', 'Refund'])
    wrapper.unmount()
  })

  it('stores typed values: status lists, numbers, booleans, ids', async () => {
    const wrapper = mountBuilder({
      conditions: [
        { field: 'status', operator: 'in', value: [] },
        { field: 'hours_since_created', operator: 'gte', value: 24 },
        { field: 'assigned', operator: 'is', value: true },
        { field: 'tag', operator: 'has', value: null },
      ],
      actions: [],
    })
    const rows = () => wrapper.findAll('[data-testid="condition-row"]')
    await rows()[0]!.get('input[value="open"]').setValue(true)
    await rows()[0]!.get('input[value="reopened"]').setValue(true)
    await rows()[1]!.get('input[type="number"]').setValue('1.5')
    await rows()[2]!.get('[data-testid="condition-value"] select').setValue('false')
    await rows()[3]!.get('[data-testid="condition-value"] select').setValue('21')
    expect(model(wrapper).conditions).toEqual([
      { field: 'status', operator: 'in', value: ['open', 'reopened'] },
      { field: 'hours_since_created', operator: 'gte', value: 1.5 },
      { field: 'assigned', operator: 'is', value: false },
      { field: 'tag', operator: 'has', value: 21 },
    ])
    wrapper.unmount()
  })

  it('removes a row', async () => {
    const wrapper = mountBuilder({
      conditions: [
        { field: 'sla', operator: 'is', value: 'breached' },
        { field: 'assigned', operator: 'is', value: false },
      ],
      actions: [],
    })
    await wrapper.get('button[aria-label="Remove condition 1"]').trigger('click')
    expect(model(wrapper).conditions).toEqual([{ field: 'assigned', operator: 'is', value: false }])
    wrapper.unmount()
  })

  it('shows a row problem once the row is touched, with aria wiring', async () => {
    const wrapper = mountBuilder({
      conditions: [{ field: 'hours_since_created', operator: 'gte', value: 24 }],
      actions: [{ type: 'escalate', value: null }],
    })
    expect(wrapper.find('[data-testid="condition-error"]').exists()).toBe(false)
    const input = wrapper.get('input[type="number"]')
    await input.setValue('')
    const error = wrapper.get('[data-testid="condition-error"]')
    expect(error.text()).toBe('Enter a number of hours, 0 or more.')
    expect(input.attributes('aria-invalid')).toBe('true')
    expect(input.attributes('aria-describedby')).toBe(error.attributes('id'))
    wrapper.unmount()
  })

  it('shows an action problem once the row is touched, with aria wiring', async () => {
    const wrapper = mountBuilder({
      conditions: [{ field: 'sla', operator: 'is', value: 'breached' }],
      actions: [
        { type: 'escalate', value: null },
        { type: 'add_tag', value: 20 },
      ],
    })
    const select = wrapper.get(
      '[data-testid="action-row"]:nth-child(2) [data-testid="action-value"] select',
    )
    expect(select.attributes('aria-invalid')).toBeUndefined()
    await select.setValue('')
    const errors = wrapper.findAll('[data-testid="action-error"]')
    expect(errors.map((e) => e.text())).toEqual(['Pick a tag.'])
    expect(select.attributes('aria-invalid')).toBe('true')
    expect(select.attributes('aria-describedby')).toBe(errors[0]!.attributes('id'))
    expect(model(wrapper).actions[1]).toEqual({ type: 'add_tag', value: null })
    wrapper.unmount()
  })

  it('forgets touched rows when the parent replaces the lists', async () => {
    const wrapper = mountBuilder({
      conditions: [{ field: 'hours_since_created', operator: 'gte', value: 24 }],
      actions: [{ type: 'escalate', value: null }],
    })
    await wrapper.get('input[type="number"]').setValue('')
    expect(wrapper.find('[data-testid="condition-error"]').exists()).toBe(true)

    await wrapper.setProps({
      modelValue: {
        conditions: [
          { field: 'hours_since_created', operator: 'gte', value: null },
          { field: 'assigned', operator: 'is', value: true },
        ],
        actions: [{ type: 'escalate', value: null }],
      },
    } as never)
    expect(wrapper.find('[data-testid="condition-error"]').exists()).toBe(false)
    wrapper.unmount()
  })

  it('validate() reveals every problem and reports validity', async () => {
    const wrapper = mountBuilder({
      conditions: [{ field: 'status', operator: 'in', value: [] }],
      actions: [],
    })
    expect(wrapper.emitted('validity')?.at(-1)).toEqual([false])
    const valid = (wrapper.vm as unknown as { validate: () => boolean }).validate()
    await flushPromises()
    expect(valid).toBe(false)
    expect(wrapper.get('[data-testid="condition-error"]').text()).toBe('Pick at least one status.')
    expect(wrapper.text()).toContain('At least one action is needed.')

    await wrapper.get('input[value="escalated"]').setValue(true)
    await buttonByText(wrapper, 'Add action').trigger('click')
    expect(wrapper.emitted('validity')?.at(-1)).toEqual([true])
    wrapper.unmount()
  })

  it('offers rule actions for rules and the extra macro actions for macros', () => {
    const rule = mountBuilder({ conditions: [], actions: [{ type: 'escalate', value: null }] })
    expect(optionValues(rule, '[data-testid="action-type"]')).toEqual([
      'escalate',
      'set_priority',
      'assign',
      'set_department',
      'add_tag',
      'add_note',
    ])
    rule.unmount()

    const macro = mountBuilder(
      { conditions: [], actions: [{ type: 'unassign', value: null }] },
      { mode: 'macro' },
    )
    expect(macro.text()).not.toContain('Conditions')
    expect(optionValues(macro, '[data-testid="action-type"]')).toEqual([
      'escalate',
      'set_priority',
      'assign',
      'set_department',
      'add_tag',
      'add_note',
      'set_status',
      'unassign',
      'remove_tag',
      'reply',
    ])
    macro.unmount()
  })

  it('keeps a UUID agent of an assign action, and the rule valid', async () => {
    const wrapper = mountBuilder(
      {
        conditions: [{ field: 'assigned', operator: 'is', value: false }],
        actions: [{ type: 'assign', value: null }],
      },
      { agents: uuidAgents },
    )
    const select = wrapper.get('[data-testid="action-value"] select')
    await select.setValue(UUID_GRACE)
    expect(model(wrapper).actions).toEqual([{ type: 'assign', value: UUID_GRACE }])
    expect((select.element as HTMLSelectElement).value).toBe(UUID_GRACE)
    expect(wrapper.emitted('validity')?.at(-1)).toEqual([true])
    expect(wrapper.find('[data-testid="action-value"] [aria-invalid]').exists()).toBe(false)
    wrapper.unmount()
  })

  it('switches the action value input with the action type', async () => {
    const wrapper = mountBuilder(
      { conditions: [], actions: [{ type: 'escalate', value: null }] },
      { mode: 'macro' },
    )
    const value = () => wrapper.get('[data-testid="action-value"]')
    const type = wrapper.get('[data-testid="action-type"]')
    expect(value().text()).toBe('No value needed.')

    await type.setValue('assign')
    expect(
      value()
        .findAll('option')
        .map((o) => o.text()),
    ).toEqual(['Choose…', 'Ada', 'Grace'])
    await value().get('select').setValue('2')
    expect(model(wrapper).actions).toEqual([{ type: 'assign', value: 2 }])

    await type.setValue('set_priority')
    expect(model(wrapper).actions).toEqual([{ type: 'set_priority', value: 'high' }])

    await type.setValue('reply')
    await value().get('textarea').setValue('We are on it.')
    expect(model(wrapper).actions).toEqual([{ type: 'reply', value: 'We are on it.' }])
    wrapper.unmount()
  })

  it('builds exactly the JSON the server validates', async () => {
    const wrapper = mountBuilder({ conditions: [], actions: [] })
    await buttonByText(wrapper, 'Add condition').trigger('click')
    await wrapper.get('[data-testid="condition-field"]').setValue('priority')
    await wrapper.get('input[value="urgent"]').setValue(true)
    await buttonByText(wrapper, 'Add action').trigger('click')
    await wrapper.get('[data-testid="action-type"]').setValue('add_tag')
    await wrapper.get('[data-testid="action-value"] select').setValue('20')
    expect(toPayload(model(wrapper))).toEqual({
      conditions: [{ field: 'priority', operator: 'in', value: ['urgent'] }],
      actions: [{ type: 'add_tag', value: 20 }],
    })
    wrapper.unmount()
  })

  it('shows server errors for the lists', () => {
    const wrapper = mountBuilder(
      {
        conditions: [{ field: 'sla', operator: 'is', value: 'breached' }],
        actions: [{ type: 'escalate', value: null }],
      },
      { errors: { conditions: 'Condition 1: value is not valid.' } },
    )
    expect(wrapper.get('[role="alert"]').text()).toBe('Condition 1: value is not valid.')
    wrapper.unmount()
  })
})
