/**
 * The JSON the Python serializer produces (escalated/api serializers, reused for the
 * Inertia props, the REST API, the cloud API and sync payloads). Keep in step with it.
 * Datetimes are ISO 8601 strings with an offset.
 */

export type IsoDateTime = string

export const STATUSES = [
  'open',
  'in_progress',
  'waiting_on_customer',
  'waiting_on_agent',
  'escalated',
  'resolved',
  'closed',
  'reopened',
] as const
export type Status = (typeof STATUSES)[number]

export const PRIORITIES = ['low', 'medium', 'high', 'urgent', 'critical'] as const
export type Priority = (typeof PRIORITIES)[number]

/** Statuses in which a ticket still needs work (mirrors models.choices.OPEN_STATUSES). */
export const OPEN_STATUSES: readonly Status[] = [
  'open',
  'in_progress',
  'waiting_on_customer',
  'waiting_on_agent',
  'escalated',
  'reopened',
]

/**
 * A host user's id: the user model's primary key, a JSON number for an integer key and
 * a string for any other (a UUID, text) — see escalated/user_ids.py `user_id_json`.
 * Compare two with `sameUser` (lib/userIds.ts), turn a select's text into one with
 * `userIdFromInput`; never `Number()`.
 */
export type UserId = number | string

export interface UserRef {
  id: UserId
  name: string
  email: string
}

export interface ActorRef {
  id: UserId
  name: string
}

export interface DepartmentRef {
  id: number
  name: string
  slug: string
}

export interface SlaPolicyRef {
  id: number
  name: string
  is_default: boolean
}

export interface Tag {
  id: number
  name: string
  slug: string
  /** CSS colour, e.g. "#2563eb". */
  color: string
}

export interface Attachment {
  id: number
  name: string
  size_bytes: number
  content_type: string
  url: string
}

export interface Ticket {
  id: number
  reference: string
  subject: string
  description: string
  status: Status
  status_display: string
  priority: Priority
  priority_display: string
  channel: string
  assigned_to: UserRef | null
  department: DepartmentRef | null
  sla_policy: SlaPolicyRef | null
  tags: Tag[]
  is_open: boolean
  first_response_at: IsoDateTime | null
  first_response_due_at: IsoDateTime | null
  resolution_due_at: IsoDateTime | null
  sla_first_response_breached: boolean
  sla_resolution_breached: boolean
  sla_paused: boolean
  resolved_at: IsoDateTime | null
  closed_at: IsoDateTime | null
  created_at: IsoDateTime
  updated_at: IsoDateTime
  metadata: Record<string, unknown>
  attachments: Attachment[]
  is_guest: boolean
  /** Set for guest tickets (no user account). */
  guest_name?: string | null
  guest_email?: string | null
  requester_name: string
  requester_email: string
  requester: UserRef | null
  last_reply_at: IsoDateTime | null
  last_reply_author: string | null
}

export type AuthorType = 'agent' | 'customer' | 'system'

export interface Reply {
  id: number
  ticket_id: number
  author: UserRef | null
  author_type: AuthorType
  body: string
  is_internal_note: boolean
  is_pinned: boolean
  attachments: Attachment[]
  created_at: IsoDateTime
  updated_at: IsoDateTime
}

export interface Activity {
  id: number
  /** e.g. "created", "status_changed", "assigned", "priority_changed", "sla_breached". */
  type: string
  actor: ActorRef | null
  data: Record<string, unknown>
  created_at: IsoDateTime
}

export interface PaginationMeta {
  total: number
  per_page: number
  current_page: number
  last_page: number
  /** false when `total` is a lower bound (large lists stop counting at a cap). */
  total_is_exact?: boolean
}

export interface Paginated<T> extends PaginationMeta {
  data: T[]
}

/** Option lists the server passes to pickers. */
export type Agent = UserRef

export interface Department extends DepartmentRef {
  description: string
  is_active: boolean
  agents: UserRef[]
}

export interface SatisfactionRating {
  /** 1–5 */
  rating: number
  comment: string
  created_at: IsoDateTime
}

export interface CannedResponse {
  id: number
  title: string
  body: string
  category: string
  is_shared: boolean
}

export interface MacroSummary {
  id: number
  name: string
  description: string
}
