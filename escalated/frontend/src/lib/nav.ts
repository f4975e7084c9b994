/** Which links the app shell shows, from the user's flags. Pure, so it is unit tested. */
import type { Routes } from './routes'
import type { AuthUser } from '@/types/shared'

export interface NavLink {
  label: string
  href: string
  /** Match this link only on its exact path (dashboards), not on sub-pages. */
  exact?: boolean
}

export interface NavSections {
  primary: NavLink[]
  admin: NavLink[]
}

export function navFor(user: AuthUser | null, routes: Routes): NavSections {
  if (!user) return { primary: [], admin: [] }
  const primary: NavLink[] = user.is_agent
    ? [
        { label: 'Dashboard', href: routes.agent.dashboard, exact: true },
        { label: 'Tickets', href: routes.agent.tickets },
      ]
    : [
        { label: 'My tickets', href: routes.customer.tickets, exact: true },
        { label: 'New ticket', href: routes.customer.create },
      ]
  const admin: NavLink[] = user.is_admin
    ? [
        { label: 'Reports', href: routes.admin.reports },
        { label: 'Departments', href: routes.admin.departments },
        { label: 'SLA policies', href: routes.admin.slaPolicies },
        { label: 'Escalation rules', href: routes.admin.escalationRules },
        { label: 'Tags', href: routes.admin.tags },
        { label: 'Canned responses', href: routes.admin.cannedResponses },
        { label: 'Macros', href: routes.admin.macros },
      ]
    : []
  return { primary, admin }
}

/** Where "home" is for this user (error pages link back to it). */
export function homeFor(user: AuthUser | null, routes: Routes): string {
  if (!user) return '/'
  return user.is_agent ? routes.agent.dashboard : routes.customer.tickets
}
