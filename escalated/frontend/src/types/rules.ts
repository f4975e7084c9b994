import type { Priority, Status, UserId } from './models'

/** Escalation-rule conditions, exactly as escalated/models/rules.py validates them. */
export type Condition =
  | { field: 'status'; operator: 'in' | 'not_in'; value: Status[] }
  | { field: 'priority'; operator: 'in' | 'not_in'; value: Priority[] }
  | { field: 'department'; operator: 'in' | 'not_in'; value: number[] }
  | { field: 'department'; operator: 'is_empty'; value: boolean }
  | { field: 'assigned'; operator: 'is'; value: boolean }
  | { field: 'hours_since_created'; operator: 'gte' | 'lte'; value: number }
  | { field: 'hours_without_first_response'; operator: 'gte'; value: number }
  | { field: 'sla'; operator: 'is'; value: 'breached' | 'at_risk' }
  | { field: 'tag'; operator: 'has' | 'lacks'; value: number }

export type ConditionField = Condition['field']

/**
 * A condition row while it is being edited: the same keys, but the value may be
 * incomplete (an empty list, a tag not yet picked: `null`). Validation says which.
 */
export interface DraftCondition {
  field: ConditionField
  operator: string
  value: unknown
}

export type RuleActionType =
  'escalate' | 'set_priority' | 'assign' | 'set_department' | 'add_tag' | 'add_note'

export type MacroActionType = RuleActionType | 'set_status' | 'unassign' | 'remove_tag' | 'reply'

export type RuleAction =
  | { type: 'escalate'; value?: null }
  | { type: 'set_priority'; value: Priority }
  | { type: 'assign'; value: UserId }
  | { type: 'set_department'; value: number }
  | { type: 'add_tag'; value: number }
  | { type: 'add_note'; value: string }

export type MacroAction =
  | RuleAction
  | { type: 'set_status'; value: Status }
  | { type: 'unassign'; value?: null }
  | { type: 'remove_tag'; value: number }
  | { type: 'reply'; value: string }

export interface DraftAction {
  type: MacroActionType
  value: unknown
}

/** v-model of RuleBuilder. For macros `conditions` stays empty. */
export interface RuleDefinition {
  conditions: DraftCondition[]
  actions: DraftAction[]
}

export interface EscalationRule {
  id: number
  name: string
  description: string
  is_active: boolean
  position: number
  conditions: Condition[]
  actions: RuleAction[]
  created_at: string
  updated_at: string
}

export interface Macro {
  id: number
  name: string
  description: string
  actions: MacroAction[]
  is_shared: boolean
  position: number
}
