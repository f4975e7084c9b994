import type {
  Activity,
  Agent,
  CannedResponse,
  DepartmentRef,
  MacroSummary,
  Tag,
} from '@/types/models'

export const agents: Agent[] = [
  { id: 1, name: 'Ada', email: 'ada@example.com' },
  { id: 2, name: 'Grace', email: 'grace@example.com' },
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
