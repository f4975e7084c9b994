import type { Option } from '@/types/pages'
import { PRIORITIES, STATUSES, type Priority, type Status } from '@/types/models'

/** English fallbacks; pages pass the server's translated `choices` when they have them. */
export const STATUS_LABELS: Record<Status, string> = {
  open: 'Open',
  in_progress: 'In progress',
  waiting_on_customer: 'Waiting on customer',
  waiting_on_agent: 'Waiting on agent',
  escalated: 'Escalated',
  resolved: 'Resolved',
  closed: 'Closed',
  reopened: 'Reopened',
}

export const PRIORITY_LABELS: Record<Priority, string> = {
  low: 'Low',
  medium: 'Medium',
  high: 'High',
  urgent: 'Urgent',
  critical: 'Critical',
}

export const STATUS_OPTIONS: Option<Status>[] = STATUSES.map((value) => ({
  value,
  label: STATUS_LABELS[value],
}))

export const PRIORITY_OPTIONS: Option<Priority>[] = PRIORITIES.map((value) => ({
  value,
  label: PRIORITY_LABELS[value],
}))

/** "waiting_on_customer" → "Waiting on customer" */
export function humanize(value: string): string {
  const text = value.replace(/[_-]+/g, ' ').trim()
  return text ? text.charAt(0).toUpperCase() + text.slice(1) : ''
}

export function isStatus(value: unknown): value is Status {
  return typeof value === 'string' && (STATUSES as readonly string[]).includes(value)
}

export function isPriority(value: unknown): value is Priority {
  return typeof value === 'string' && (PRIORITIES as readonly string[]).includes(value)
}
