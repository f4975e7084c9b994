import { PRIORITY_OPTIONS, STATUS_OPTIONS } from '@/lib/labels'
import type {
  Activity,
  Agent,
  CannedResponse,
  DepartmentRef,
  MacroSummary,
  Reply,
  Tag,
  Ticket,
} from '@/types/models'
import type { Choices } from '@/types/pages'

export const agents: Agent[] = [
  { id: 1, name: 'Ada', email: 'ada@example.com' },
  { id: 2, name: 'Grace', email: 'grace@example.com' },
]

/** Agents of a host whose user model is keyed by a UUID: the server sends their ids as text. */
export const UUID_ADA = '0b7c8a2e-5f1d-4c3a-9e2b-7d6f1a0c4e11'
export const UUID_GRACE = '9f3e2d1c-0b4a-4e5f-8a7b-6c5d4e3f2a19'
export const uuidAgents: Agent[] = [
  { id: UUID_ADA, name: 'Ada', email: 'ada@example.com' },
  { id: UUID_GRACE, name: 'Grace', email: 'grace@example.com' },
]

export const departments: DepartmentRef[] = [
  { id: 10, name: 'Billing', slug: 'billing' },
  { id: 11, name: 'Tech', slug: 'tech' },
]

export const tags: Tag[] = [
  { id: 20, name: 'VIP', slug: 'vip', color: '#dc2626' },
  { id: 21, name: 'Refund', slug: 'refund', color: '#2563eb' },
]

export const cannedResponses: CannedResponse[] = [
  {
    id: 1,
    title: 'Greeting',
    body: 'Hello {{ requester_name }},',
    category: 'Openers',
    is_shared: true,
  },
  { id: 2, title: 'Thanks', body: 'Thanks for waiting.', category: '', is_shared: true },
]

export const macros: MacroSummary[] = [
  { id: 5, name: 'Close as duplicate', description: 'Reply and close' },
]

export function activity(partial: Partial<Activity> = {}): Activity {
  return {
    id: 1,
    type: 'created',
    actor: { id: 1, name: 'Ada' },
    data: {},
    created_at: '2025-01-01T10:00:00Z',
    ...partial,
  }
}

export function file(name: string, sizeBytes: number, type = 'text/plain'): File {
  return new File([new Uint8Array(sizeBytes)], name, { type })
}

export function ticket(partial: Partial<Ticket> = {}): Ticket {
  return {
    id: 42,
    reference: 'ESC-00042',
    subject: 'Printer on fire',
    description: 'It shows E42.',
    status: 'open',
    status_display: 'Open',
    priority: 'high',
    priority_display: 'High',
    channel: 'web',
    assigned_to: null,
    department: null,
    sla_policy: { id: 1, name: 'Standard', is_default: true },
    tags: [],
    is_open: true,
    first_response_at: null,
    first_response_due_at: '2025-01-01T14:00:00Z',
    resolution_due_at: '2025-01-02T10:00:00Z',
    sla_first_response_breached: false,
    sla_resolution_breached: false,
    sla_paused: false,
    resolved_at: null,
    closed_at: null,
    created_at: '2025-01-01T10:00:00Z',
    updated_at: '2025-01-01T10:00:00Z',
    metadata: {},
    attachments: [],
    is_guest: false,
    guest_name: null,
    guest_email: null,
    requester_name: 'Sam Customer',
    requester_email: 'sam@example.com',
    requester: { id: 9, name: 'Sam Customer', email: 'sam@example.com' },
    last_reply_at: null,
    last_reply_author: null,
    ...partial,
  }
}

export function reply(partial: Partial<Reply> = {}): Reply {
  return {
    id: 1,
    ticket_id: 42,
    author: { id: 1, name: 'Ada', email: 'ada@example.com' },
    author_type: 'agent',
    body: 'We are on it.',
    is_internal_note: false,
    is_pinned: false,
    attachments: [],
    created_at: '2025-01-01T11:00:00Z',
    updated_at: '2025-01-01T11:00:00Z',
    ...partial,
  }
}

export const choices: Choices = { statuses: STATUS_OPTIONS, priorities: PRIORITY_OPTIONS }
