/** One sentence per activity-log entry (TicketActivity.type + data). */
import type { Activity, UserId } from '@/types/models'
import { humanize, isPriority, isStatus, PRIORITY_LABELS, STATUS_LABELS } from './labels'

/**
 * Names for entries that carry only ids (logs written before the timeline kept
 * `{id, name}` for agents and departments); the page resolves them from its pickers.
 */
export interface ActivityContext {
  /** Keyed by user id: a number, or a string for a UUID or text key. */
  users?: ReadonlyMap<UserId, string>
  departments?: ReadonlyMap<number, string>
}

function label(value: unknown): string {
  if (isStatus(value)) return STATUS_LABELS[value]
  if (isPriority(value)) return PRIORITY_LABELS[value]
  if (value && typeof value === 'object' && 'name' in value) return String(value.name)
  if (value === null || value === undefined || value === '') return 'none'
  return String(value)
}

/** The first of `keys` present in `data` (the log's keys, then older spellings). */
function first(data: Record<string, unknown>, ...keys: string[]): unknown {
  for (const key of keys) if (data[key] !== undefined) return data[key]
  return undefined
}

/** The name of an id in `names`, matched as text: `42` and `"42"` are the same id. */
function nameOf(names: ReadonlyMap<UserId, string> | undefined, id: UserId): string | undefined {
  const direct = names?.get(id)
  if (direct !== undefined || !names) return direct
  for (const [key, name] of names) if (String(key) === String(id)) return name
  return undefined
}

function named(
  value: unknown,
  names: ReadonlyMap<UserId, string> | undefined,
  fallback: string,
): string {
  if (typeof value === 'number') return nameOf(names, value) ?? fallback
  // A UUID or text user id: its name when the page knows it, else the text itself.
  if (typeof value === 'string' && value !== '') return nameOf(names, value) ?? label(value)
  return value === undefined ? fallback : label(value)
}

function tags(data: Record<string, unknown>): string {
  const list = first(data, 'tags', 'tag')
  const names = (Array.isArray(list) ? list : [list]).map(label)
  return `${names.length === 1 ? 'tag' : 'tags'} ${names.join(', ')}`
}

function slaTarget(data: Record<string, unknown>): string {
  return first(data, 'breach_type', 'kind') === 'first_response' ? 'first-response' : 'resolution'
}

export function describeActivity(activity: Activity, context: ActivityContext = {}): string {
  const d = activity.data ?? {}
  switch (activity.type) {
    case 'created':
      return 'created the ticket'
    case 'updated':
      return 'edited the ticket'
    case 'status_changed':
      return `changed the status from ${label(first(d, 'old_status', 'from'))} to ${label(first(d, 'new_status', 'to'))}`
    case 'priority_changed':
      return `changed the priority from ${label(first(d, 'old', 'from'))} to ${label(first(d, 'new', 'to'))}`
    case 'assigned':
      return `assigned the ticket to ${named(first(d, 'agent', 'agent_id', 'to', 'assignee'), context.users, 'an agent')}`
    case 'unassigned':
      return 'unassigned the ticket'
    case 'department_changed': {
      const to = first(d, 'new', 'to', 'department')
      return to === null
        ? 'removed the department'
        : `moved the ticket to ${named(to, context.departments, 'another department')}`
    }
    case 'tag_added':
      return `added the ${tags(d)}`
    case 'tag_removed':
      return `removed the ${tags(d)}`
    case 'replied':
    case 'reply_created':
      return 'replied'
    case 'internal_note_added':
    case 'note_added':
      return 'added an internal note'
    case 'escalated':
      return d.rule ? `escalated the ticket (rule ${label(d.rule)})` : 'escalated the ticket'
    case 'rule_fired':
      return `ran the escalation rule ${label(d.rule_name)}`
    case 'sla_breached':
      return `breached the ${slaTarget(d)} SLA`
    case 'sla_warning':
      return `is close to its ${slaTarget(d)} SLA`
    case 'sla_policy_changed':
      return 'changed the SLA policy'
    case 'sla_recomputed':
      return d.policy
        ? `recalculated the SLA deadlines after the policy ${label(d.policy)} changed`
        : 'recalculated the SLA deadlines'
    case 'resolved':
      return 'resolved the ticket'
    case 'closed':
      return 'closed the ticket'
    case 'reopened':
      return 'reopened the ticket'
    case 'macro_applied':
      return `applied the macro ${label(d.macro)}`
    case 'rated':
      return `rated the ticket ${label(d.rating)} out of 5`
    default:
      return humanize(activity.type).toLowerCase()
  }
}
