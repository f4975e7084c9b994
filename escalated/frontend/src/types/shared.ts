/** Props every Escalated page receives (shared by the Inertia middleware / views). */
import type { UserId } from './models'

export interface AuthUser {
  id: UserId
  name: string
  email: string
  is_agent: boolean
  is_admin: boolean
}

export interface FlashProps {
  success?: string
  error?: string
}

export interface EscalatedConfigProps {
  /** ESCALATED["ROUTE_PREFIX"], without slashes, e.g. "support". */
  route_prefix: string
  max_attachments: number
  max_attachment_size_kb: number
  allow_customer_close: boolean
}

export interface SharedProps {
  /** `logout_url`: where "Sign out" POSTs (ESCALATED["LOGOUT_URL"] resolved), or null. */
  auth: { user: AuthUser | null; logout_url?: string | null }
  flash: FlashProps
  escalated: EscalatedConfigProps
  errors: Record<string, string>
  /** The previous input after a failed non-Inertia form post (never files or secrets). */
  old?: Record<string, unknown>
}

/**
 * inertia-django 2.0 also forwards django.contrib.messages as the page-level `flash`
 * (not a prop): `{messages: [{level: "success" | "error" | …, message}]}`.
 */
export interface DjangoMessage {
  level: string
  message: string
}
