/** One sentence per activity-log entry (TicketActivity.type + data). */
import type { Activity } from '@/types/models'
import { humanize, isPriority, isStatus, PRIORITY_LABELS, STATUS_LABELS } from './labels'

function label(value: unknown): string {
  if (isStatus(value)) return STATUS_LABELS[value]
  if (isPriority(value)) return PRIORITY_LABELS[value]
  if (value && typeof value === 'object' && 'name' in value) return String(value.name)
  if (value === null || value === undefined || value === '') return 'none'
  return String(value)
}

export function describeActivity(activity: Activity): string {
  const d = activity.data ?? {}
  switch (activity.type) {
    case 'created':
      return 'created the ticket'
    case 'status_changed':
      return `changed the status from ${label(d.from)} to ${label(d.to)}`
    case 'priority_changed':
      return `changed the priority from ${label(d.from)} to ${label(d.to)}`
    case 'assigned':
      return `assigned the ticket to ${label(d.to ?? d.assignee)}`
    case 'unassigned':
      return 'unassigned the ticket'
    case 'department_changed':
      return `moved the ticket to ${label(d.to ?? d.department)}`
    case 'tag_added':
      return `added the tag ${label(d.tag)}`
    case 'tag_removed':
      return `removed the tag ${label(d.tag)}`
    case 'replied':
    case 'reply_created':
      return 'replied'
    case 'internal_note_added':
    case 'note_added':
      return 'added an internal note'
    case 'escalated':
      return d.rule ? `escalated the ticket (rule ${label(d.rule)})` : 'escalated the ticket'
    case 'sla_breached':
      return `breached the ${d.kind === 'first_response' ? 'first-response' : 'resolution'} SLA`
    case 'sla_warning':
      return `is close to its ${d.kind === 'first_response' ? 'first-response' : 'resolution'} SLA`
    case 'resolved':
      return 'resolved the ticket'
    case 'closed':
      return 'closed the ticket'
    case 'reopened':
      return 'reopened the ticket'
    case 'macro_applied':
      return `applied the macro ${label(d.macro)}`
    default:
      return humanize(activity.type).toLowerCase()
  }
}
