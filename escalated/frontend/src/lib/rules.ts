/**
 * The escalation-rule and macro vocabulary, mirroring escalated/models/rules.py
 * (CONDITION_FIELDS, RULE_ACTIONS, MACRO_ACTIONS) so the builder only offers, and only
 * lets through, what the server accepts. The server still validates; its messages are
 * shown as well.
 */
import { humanize, isPriority, isStatus } from './labels'
import { isUserId } from './userIds'
import type {
  Condition,
  ConditionField,
  DraftAction,
  DraftCondition,
  MacroAction,
  MacroActionType,
  RuleActionType,
  RuleDefinition,
} from '@/types/rules'

/** What kind of input a value needs. */
export type ConditionValueKind =
  'statuses' | 'priorities' | 'departments' | 'boolean' | 'hours' | 'sla' | 'tag'

export type ActionValueKind =
  'none' | 'priority' | 'status' | 'agent' | 'department' | 'tag' | 'text'

export interface OperatorSpec {
  label: string
  kind: ConditionValueKind
  /** For boolean values: the wording of true and false. */
  booleanLabels?: [string, string]
}

export interface FieldSpec {
  label: string
  operators: Record<string, OperatorSpec>
}

export const CONDITION_FIELDS: Record<ConditionField, FieldSpec> = {
  status: {
    label: 'Status',
    operators: {
      in: { label: 'is one of', kind: 'statuses' },
      not_in: { label: 'is not one of', kind: 'statuses' },
    },
  },
  priority: {
    label: 'Priority',
    operators: {
      in: { label: 'is one of', kind: 'priorities' },
      not_in: { label: 'is not one of', kind: 'priorities' },
    },
  },
  department: {
    label: 'Department',
    operators: {
      in: { label: 'is one of', kind: 'departments' },
      not_in: { label: 'is not one of', kind: 'departments' },
      is_empty: {
        label: 'is empty',
        kind: 'boolean',
        booleanLabels: ['Yes, no department', 'No, has a department'],
      },
    },
  },
  assigned: {
    label: 'Assigned',
    operators: {
      is: { label: 'is', kind: 'boolean', booleanLabels: ['Assigned to someone', 'Unassigned'] },
    },
  },
  hours_since_created: {
    label: 'Hours since created',
    operators: {
      gte: { label: 'at least', kind: 'hours' },
      lte: { label: 'at most', kind: 'hours' },
    },
  },
  hours_without_first_response: {
    label: 'Hours without first response',
    operators: { gte: { label: 'at least', kind: 'hours' } },
  },
  sla: {
    label: 'SLA',
    operators: { is: { label: 'is', kind: 'sla' } },
  },
  tag: {
    label: 'Tag',
    operators: {
      has: { label: 'has', kind: 'tag' },
      lacks: { label: 'does not have', kind: 'tag' },
    },
  },
}

export const CONDITION_FIELD_NAMES = Object.keys(CONDITION_FIELDS) as ConditionField[]

export const SLA_VALUES = [
  { value: 'breached', label: 'Breached' },
  { value: 'at_risk', label: 'At risk' },
] as const

export interface ActionSpec {
  label: string
  kind: ActionValueKind
}

export const ACTION_TYPES: Record<MacroActionType, ActionSpec> = {
  escalate: { label: 'Escalate', kind: 'none' },
  set_priority: { label: 'Set priority', kind: 'priority' },
  assign: { label: 'Assign to', kind: 'agent' },
  set_department: { label: 'Move to department', kind: 'department' },
  add_tag: { label: 'Add tag', kind: 'tag' },
  add_note: { label: 'Add internal note', kind: 'text' },
  set_status: { label: 'Set status', kind: 'status' },
  unassign: { label: 'Unassign', kind: 'none' },
  remove_tag: { label: 'Remove tag', kind: 'tag' },
  reply: { label: 'Reply to customer', kind: 'text' },
}

export const RULE_ACTION_TYPES: RuleActionType[] = [
  'escalate',
  'set_priority',
  'assign',
  'set_department',
  'add_tag',
  'add_note',
]

export const MACRO_ACTION_TYPES: MacroActionType[] = [
  ...RULE_ACTION_TYPES,
  'set_status',
  'unassign',
  'remove_tag',
  'reply',
]

export type BuilderMode = 'rule' | 'macro'

export function actionTypesFor(mode: BuilderMode): MacroActionType[] {
  return mode === 'macro' ? MACRO_ACTION_TYPES : RULE_ACTION_TYPES
}

/* ---------- choices of the builder's selects ---------- */

export interface ChoiceOption {
  value: string
  label: string
}

/** The "Field" select: every condition field. */
export const CONDITION_FIELD_OPTIONS: ChoiceOption[] = CONDITION_FIELD_NAMES.map((field) => ({
  value: field,
  label: CONDITION_FIELDS[field].label,
}))

/** The "Operator" select: the operators of one field, in the server's order. */
export function operatorOptions(field: ConditionField): ChoiceOption[] {
  return Object.entries(CONDITION_FIELDS[field]?.operators ?? {}).map(([value, spec]) => ({
    value,
    label: spec.label,
  }))
}

/** The "Action" select: the action types of a rule or of a macro. */
export function actionTypeOptions(mode: BuilderMode): ChoiceOption[] {
  return actionTypesFor(mode).map((type) => ({ value: type, label: ACTION_TYPES[type].label }))
}

/** A yes/no value's select, worded by the operator ("Assigned to someone" / "Unassigned"). */
export function booleanOptions(spec: OperatorSpec | undefined): ChoiceOption[] {
  const [yes, no] = spec?.booleanLabels ?? ['Yes', 'No']
  return [
    { value: 'true', label: yes },
    { value: 'false', label: no },
  ]
}

/* ---------- defaults ---------- */

export function operatorSpec(field: ConditionField, operator: string): OperatorSpec | undefined {
  return CONDITION_FIELDS[field]?.operators[operator]
}

export function defaultConditionValue(field: ConditionField, operator: string): unknown {
  const spec = operatorSpec(field, operator)
  switch (spec?.kind) {
    case 'statuses':
    case 'priorities':
    case 'departments':
      return []
    case 'boolean':
      return true
    case 'hours':
      return field === 'hours_without_first_response' ? 4 : 24
    case 'sla':
      return 'breached'
    default:
      return null
  }
}

export function newCondition(field: ConditionField = 'status'): DraftCondition {
  const operator = Object.keys(CONDITION_FIELDS[field].operators)[0] ?? ''
  return { field, operator, value: defaultConditionValue(field, operator) }
}

/** Change a row's field: its operator and value reset to that field's first operator. */
export function withField(_condition: DraftCondition, field: ConditionField): DraftCondition {
  return newCondition(field)
}

/** Change a row's operator: the value is kept when it is the same kind of value. */
export function withOperator(condition: DraftCondition, operator: string): DraftCondition {
  const before = operatorSpec(condition.field, condition.operator)?.kind
  const after = operatorSpec(condition.field, operator)?.kind
  return {
    ...condition,
    operator,
    value: before === after ? condition.value : defaultConditionValue(condition.field, operator),
  }
}

export function defaultActionValue(type: MacroActionType): unknown {
  switch (ACTION_TYPES[type].kind) {
    case 'priority':
      return 'high'
    case 'status':
      return 'in_progress'
    case 'text':
      return ''
    default:
      return null
  }
}

export function newAction(type: MacroActionType = 'escalate'): DraftAction {
  return { type, value: defaultActionValue(type) }
}

/* ---------- validation (same rules as the server, friendlier words) ---------- */

const isId = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0
const isHours = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0
const isText = (v: unknown): v is string => typeof v === 'string' && v.trim() !== ''
const nonEmptyListOf = (v: unknown, check: (x: unknown) => boolean) =>
  Array.isArray(v) && v.length > 0 && v.every(check)

/** Why a condition is invalid, or null when the server will accept it. */
export function conditionError(condition: DraftCondition): string | null {
  const field = CONDITION_FIELDS[condition.field]
  if (!field) return `Unknown field "${String(condition.field)}".`
  const spec = field.operators[condition.operator]
  if (!spec) {
    return `Choose how to compare ${field.label.toLowerCase()} (${Object.values(field.operators)
      .map((o) => o.label)
      .join(', ')}).`
  }
  const v = condition.value
  switch (spec.kind) {
    case 'statuses':
      return nonEmptyListOf(v, isStatus) ? null : 'Pick at least one status.'
    case 'priorities':
      return nonEmptyListOf(v, isPriority) ? null : 'Pick at least one priority.'
    case 'departments':
      return nonEmptyListOf(v, isId) ? null : 'Pick at least one department.'
    case 'boolean':
      return typeof v === 'boolean' ? null : 'Choose yes or no.'
    case 'hours':
      return isHours(v) ? null : 'Enter a number of hours, 0 or more.'
    case 'sla':
      return v === 'breached' || v === 'at_risk' ? null : 'Choose breached or at risk.'
    case 'tag':
      return isId(v) ? null : 'Pick a tag.'
  }
}

export function actionError(action: DraftAction, mode: BuilderMode = 'rule'): string | null {
  if (!actionTypesFor(mode).includes(action.type)) {
    return `"${String(action.type)}" is not available for ${mode === 'macro' ? 'macros' : 'rules'}.`
  }
  const v = action.value
  switch (ACTION_TYPES[action.type].kind) {
    case 'none':
      return null
    case 'priority':
      return isPriority(v) ? null : 'Pick a priority.'
    case 'status':
      return isStatus(v) ? null : 'Pick a status.'
    case 'agent':
      return isUserId(v) ? null : 'Pick an agent.'
    case 'department':
      return isId(v) ? null : 'Pick a department.'
    case 'tag':
      return isId(v) ? null : 'Pick a tag.'
    case 'text':
      return isText(v) ? null : 'Write the text.'
  }
}

export interface RuleValidation {
  valid: boolean
  /** Whole-list problems ("needs at least one condition"). */
  conditionsError: string | null
  actionsError: string | null
  /** One entry per row: the row's problem or null. */
  conditions: (string | null)[]
  actions: (string | null)[]
}

export function validateRule(
  definition: RuleDefinition,
  mode: BuilderMode = 'rule',
): RuleValidation {
  const conditions = mode === 'rule' ? definition.conditions.map(conditionError) : []
  const actions = definition.actions.map((a) => actionError(a, mode))
  const conditionsError =
    mode === 'rule' && definition.conditions.length === 0
      ? 'A rule needs at least one condition.'
      : null
  const actionsError = definition.actions.length === 0 ? 'At least one action is needed.' : null
  const valid =
    !conditionsError &&
    !actionsError &&
    conditions.every((e) => e === null) &&
    actions.every((e) => e === null)
  return { valid, conditionsError, actionsError, conditions, actions }
}

/** The JSON to submit: only the keys the server allows, no value for value-less actions. */
export function toPayload(definition: RuleDefinition, mode: BuilderMode = 'rule'): RuleDefinition {
  return {
    conditions:
      mode === 'rule'
        ? definition.conditions.map(({ field, operator, value }) => ({ field, operator, value }))
        : [],
    actions: definition.actions.map(({ type, value }) => ({
      type,
      value: ACTION_TYPES[type]?.kind === 'none' ? null : value,
    })),
  }
}

/** A saved rule or macro (server JSON) as the builder's editable definition. */
export function fromSaved(saved: {
  conditions?: readonly Condition[]
  actions: readonly MacroAction[]
}): RuleDefinition {
  return {
    conditions: (saved.conditions ?? []).map(({ field, operator, value }) => ({
      field,
      operator,
      value,
    })),
    actions: saved.actions.map(({ type, value }) => ({ type, value: value ?? null })),
  }
}

/* ---------- summaries for lists ---------- */

/** "Status", "Hours since created" … one label per saved condition. */
export function conditionLabels(conditions: readonly { field: string }[]): string[] {
  return conditions.map(
    ({ field }) => CONDITION_FIELDS[field as ConditionField]?.label ?? humanize(field),
  )
}

/** "Escalate", "Set priority" … one label per saved action. */
export function actionLabels(actions: readonly { type: string }[]): string[] {
  return actions.map(({ type }) => ACTION_TYPES[type as MacroActionType]?.label ?? humanize(type))
}
