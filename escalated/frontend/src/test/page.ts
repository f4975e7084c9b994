/** A stand-in for Inertia's current page in component tests (see setup.ts). */
import { reactive } from 'vue'

import type { AuthUser, SharedProps } from '@/types/shared'

export interface TestPage {
  component: string
  url: string
  props: SharedProps
  flash: { messages?: { level: string; message: string }[] }
}

export function sharedProps(overrides: Partial<SharedProps> = {}): SharedProps {
  return {
    auth: { user: null },
    flash: {},
    escalated: {
      route_prefix: 'support',
      max_attachments: 3,
      max_attachment_size_kb: 100,
      allow_customer_close: true,
    },
    errors: {},
    ...overrides,
  }
}

export const testPage = reactive<TestPage>({
  component: 'Test',
  url: '/support/agent/tickets/',
  props: sharedProps(),
  flash: {},
})

export function setPage(patch: Partial<TestPage>): void {
  Object.assign(testPage, patch)
}

export function resetPage(): void {
  setPage({ component: 'Test', url: '/support/agent/tickets/', props: sharedProps(), flash: {} })
}

export function user(flags: Partial<AuthUser> = {}): AuthUser {
  return {
    id: 7,
    name: 'Ada Agent',
    email: 'ada@example.com',
    is_agent: false,
    is_admin: false,
    ...flags,
  }
}
