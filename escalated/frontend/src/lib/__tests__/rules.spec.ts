// @vitest-environment node
import { describe, expect, it } from 'vitest'

import {
  actionError,
  actionLabels,
  actionTypeOptions,
  booleanOptions,
  CONDITION_FIELD_OPTIONS,
  CONDITION_FIELDS,
  conditionError,
  conditionLabels,
  fromSaved,
  newAction,
  newCondition,
  operatorOptions,
  operatorSpec,
  toPayload,
  validateRule,
  withField,
  withOperator,
} from '../rules'

describe('vocabulary', () => {
  it('offers exactly the operators the server accepts per field', () => {
    const operators = Object.fromEntries(
      Object.entries(CONDITION_FIELDS).map(([field, spec]) => [field, Object.keys(spec.operators)]),
    )
    expect(operators).toEqual({
      status: ['in', 'not_in'],
      priority: ['in', 'not_in'],
      department: ['in', 'not_in', 'is_empty'],
      assigned: ['is'],
      hours_since_created: ['gte', 'lte'],
      hours_without_first_response: ['gte'],
      sla: ['is'],
      tag: ['has', 'lacks'],
    })
  })
})

describe("the builder's select choices", () => {
  it('lists every field with its label', () => {
    expect(CONDITION_FIELD_OPTIONS.map((o) => o.value)).toEqual(Object.keys(CONDITION_FIELDS))
    expect(CONDITION_FIELD_OPTIONS[0]).toEqual({ value: 'status', label: 'Status' })
  })

  it("lists a field's operators in order, with their wording", () => {
    expect(operatorOptions('department')).toEqual([
      { value: 'in', label: 'is one of' },
      { value: 'not_in', label: 'is not one of' },
      { value: 'is_empty', label: 'is empty' },
    ])
  })

  it('lists the action types of rules and of macros', () => {
    expect(actionTypeOptions('rule').map((o) => o.value)).toEqual([
      'escalate',
      'set_priority',
      'assign',
      'set_department',
      'add_tag',
      'add_note',
    ])
    expect(actionTypeOptions('macro').at(-1)).toEqual({
      value: 'reply',
      label: 'Reply to customer',
    })
  })

  it('words a yes/no value by its operator, or plain Yes/No', () => {
    expect(booleanOptions(operatorSpec('assigned', 'is'))).toEqual([
      { value: 'true', label: 'Assigned to someone' },
      { value: 'false', label: 'Unassigned' },
    ])
    expect(booleanOptions(undefined).map((o) => o.label)).toEqual(['Yes', 'No'])
  })
})

describe('row editing', () => {
  it('resets operator and value when the field changes', () => {
    const row = { field: 'status' as const, operator: 'not_in', value: ['open'] }
    expect(withField(row, 'hours_since_created')).toEqual({
      field: 'hours_since_created',
      operator: 'gte',
      value: 24,
    })
  })

  it('keeps the value when the new operator takes the same kind', () => {
    const row = { field: 'status' as const, operator: 'in', value: ['open', 'reopened'] }
    expect(withOperator(row, 'not_in').value).toEqual(['open', 'reopened'])
  })

  it('resets the value when the new operator takes another kind', () => {
    const row = { field: 'department' as const, operator: 'in', value: [3] }
    expect(withOperator(row, 'is_empty')).toEqual({
      field: 'department',
      operator: 'is_empty',
      value: true,
    })
  })
})

describe('conditionError', () => {
  it.each([
    [{ field: 'status', operator: 'in', value: ['open'] }],
    [{ field: 'priority', operator: 'not_in', value: ['low', 'medium'] }],
    [{ field: 'department', operator: 'in', value: [1, 2] }],
    [{ field: 'department', operator: 'is_empty', value: false }],
    [{ field: 'assigned', operator: 'is', value: false }],
    [{ field: 'hours_since_created', operator: 'lte', value: 0 }],
    [{ field: 'hours_without_first_response', operator: 'gte', value: 1.5 }],
    [{ field: 'sla', operator: 'is', value: 'at_risk' }],
    [{ field: 'tag', operator: 'lacks', value: 9 }],
  ] as const)('accepts %j', (condition) => {
    expect(conditionError({ ...condition, value: condition.value as unknown })).toBeNull()
  })

  it.each([
    [{ field: 'status', operator: 'in', value: [] }, 'Pick at least one status.'],
    [{ field: 'status', operator: 'in', value: ['pending'] }, 'Pick at least one status.'],
    [{ field: 'priority', operator: 'in', value: ['meh'] }, 'Pick at least one priority.'],
    [{ field: 'department', operator: 'in', value: [0] }, 'Pick at least one department.'],
    [{ field: 'assigned', operator: 'is', value: 'yes' }, 'Choose yes or no.'],
    [
      { field: 'hours_since_created', operator: 'gte', value: -1 },
      'Enter a number of hours, 0 or more.',
    ],
    [
      { field: 'hours_since_created', operator: 'gte', value: null },
      'Enter a number of hours, 0 or more.',
    ],
    [{ field: 'sla', operator: 'is', value: 'late' }, 'Choose breached or at risk.'],
    [{ field: 'tag', operator: 'has', value: null }, 'Pick a tag.'],
  ] as const)('rejects %j', (condition, message) => {
    expect(conditionError({ ...condition, value: condition.value as unknown })).toBe(message)
  })

  it('rejects an operator that does not apply to the field', () => {
    expect(
      conditionError({ field: 'hours_without_first_response', operator: 'lte', value: 2 }),
    ).toMatch(/Choose how to compare/)
  })
})

describe('actionError', () => {
  it('accepts value-less actions without a value', () => {
    expect(actionError(newAction('escalate'))).toBeNull()
    expect(actionError(newAction('unassign'), 'macro')).toBeNull()
  })

  it('checks the value kind', () => {
    expect(actionError({ type: 'set_priority', value: 'urgent' })).toBeNull()
    expect(actionError({ type: 'set_priority', value: 'asap' })).toBe('Pick a priority.')
    expect(actionError({ type: 'assign', value: null })).toBe('Pick an agent.')
    expect(actionError({ type: 'add_note', value: '   ' })).toBe('Write the text.')
  })

  it('takes an agent keyed by a UUID or text, not a blank one', () => {
    expect(
      actionError({ type: 'assign', value: '0b7c8a2e-5f1d-4c3a-9e2b-7d6f1a0c4e11' }),
    ).toBeNull()
    expect(actionError({ type: 'assign', value: 'alice' })).toBeNull()
    expect(actionError({ type: 'assign', value: 2 })).toBeNull()
    expect(actionError({ type: 'assign', value: ' ' })).toBe('Pick an agent.')
    expect(actionError({ type: 'assign', value: 0 })).toBe('Pick an agent.')
  })

  it('keeps macro-only actions out of rules', () => {
    expect(actionError({ type: 'reply', value: 'Hi' }, 'rule')).toMatch(/not available for rules/)
    expect(actionError({ type: 'reply', value: 'Hi' }, 'macro')).toBeNull()
    expect(actionError({ type: 'set_status', value: 'resolved' }, 'macro')).toBeNull()
  })
})

describe('validateRule', () => {
  it('needs at least one condition and one action for a rule', () => {
    const result = validateRule({ conditions: [], actions: [] })
    expect(result.valid).toBe(false)
    expect(result.conditionsError).toBe('A rule needs at least one condition.')
    expect(result.actionsError).toBe('At least one action is needed.')
  })

  it('ignores conditions for a macro', () => {
    const result = validateRule({ conditions: [], actions: [newAction('unassign')] }, 'macro')
    expect(result).toMatchObject({ valid: true, conditionsError: null })
  })

  it('reports problems per row', () => {
    const result = validateRule({
      conditions: [newCondition('status'), { field: 'sla', operator: 'is', value: 'breached' }],
      actions: [newAction('escalate')],
    })
    expect(result.valid).toBe(false)
    expect(result.conditions).toEqual(['Pick at least one status.', null])
    expect(result.actions).toEqual([null])
  })
})

describe('toPayload', () => {
  it('drops values of value-less actions and stray keys', () => {
    const payload = toPayload({
      conditions: [{ field: 'assigned', operator: 'is', value: false, extra: 1 } as never],
      actions: [{ type: 'escalate', value: 'junk' }],
    })
    expect(payload).toEqual({
      conditions: [{ field: 'assigned', operator: 'is', value: false }],
      actions: [{ type: 'escalate', value: null }],
    })
  })
})

describe('saved rules and macros', () => {
  it('become an editable definition: every action gets a value', () => {
    const definition = fromSaved({
      conditions: [{ field: 'sla', operator: 'is', value: 'breached' }],
      actions: [{ type: 'escalate' }, { type: 'set_priority', value: 'urgent' }],
    })
    expect(definition).toEqual({
      conditions: [{ field: 'sla', operator: 'is', value: 'breached' }],
      actions: [
        { type: 'escalate', value: null },
        { type: 'set_priority', value: 'urgent' },
      ],
    })
    expect(validateRule(definition).valid).toBe(true)
  })

  it('macros have no conditions', () => {
    expect(fromSaved({ actions: [{ type: 'unassign' }] }).conditions).toEqual([])
  })

  it('are summarised by their labels in lists', () => {
    expect(
      conditionLabels([{ field: 'hours_since_created' }, { field: 'tag' }, { field: 'mood' }]),
    ).toEqual(['Hours since created', 'Tag', 'Mood'])
    expect(actionLabels([{ type: 'reply' }, { type: 'add_tag' }, { type: 'page_oncall' }])).toEqual(
      ['Reply to customer', 'Add tag', 'Page oncall'],
    )
  })
})
