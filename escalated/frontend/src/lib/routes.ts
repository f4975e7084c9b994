/**
 * URLs of the Escalated UI, built from the shared `escalated.route_prefix`.
 *
 * This table is the frontend's half of the URL contract with escalated/urls.py: the
 * Django views must be mounted at these paths (Django style, trailing slash). Pages
 * that post somewhere get the action URL from here, so a changed route is one edit.
 */

export type TicketKey = string | number

/** The admin resources: index, create, edit, update, destroy under admin/<slug>/. */
export const ADMIN_RESOURCES = {
  departments: 'departments',
  slaPolicies: 'sla-policies',
  escalationRules: 'escalation-rules',
  tags: 'tags',
  cannedResponses: 'canned-responses',
  macros: 'macros',
} as const

export type AdminResource = keyof typeof ADMIN_RESOURCES

function join(prefix: string, path: string): string {
  const clean = prefix.replace(/^\/+|\/+$/g, '')
  return `/${clean ? `${clean}/` : ''}${path}`
}

export function makeRoutes(prefix: string) {
  const u = (path: string) => join(prefix, path)
  const ref = (key: TicketKey) => encodeURIComponent(String(key))
  return {
    home: u(''),
    customer: {
      tickets: u('tickets/'),
      /** POST a new ticket (multipart: subject, description, priority, department, attachments). */
      store: u('tickets/'),
      create: u('tickets/create/'),
      show: (key: TicketKey) => u(`tickets/${ref(key)}/`),
      reply: (key: TicketKey) => u(`tickets/${ref(key)}/reply/`),
      close: (key: TicketKey) => u(`tickets/${ref(key)}/close/`),
      reopen: (key: TicketKey) => u(`tickets/${ref(key)}/reopen/`),
      rate: (key: TicketKey) => u(`tickets/${ref(key)}/rate/`),
    },
    guest: {
      create: u('guest/'),
      store: u('guest/'),
      show: (token: string) => u(`guest/${encodeURIComponent(token)}/`),
    },
    agent: {
      dashboard: u('agent/'),
      tickets: u('agent/tickets/'),
      bulk: u('agent/tickets/bulk/'),
      show: (key: TicketKey) => u(`agent/tickets/${ref(key)}/`),
      reply: (key: TicketKey) => u(`agent/tickets/${ref(key)}/reply/`),
      note: (key: TicketKey) => u(`agent/tickets/${ref(key)}/note/`),
      assign: (key: TicketKey) => u(`agent/tickets/${ref(key)}/assign/`),
      unassign: (key: TicketKey) => u(`agent/tickets/${ref(key)}/unassign/`),
      status: (key: TicketKey) => u(`agent/tickets/${ref(key)}/status/`),
      priority: (key: TicketKey) => u(`agent/tickets/${ref(key)}/priority/`),
      department: (key: TicketKey) => u(`agent/tickets/${ref(key)}/department/`),
      tags: (key: TicketKey) => u(`agent/tickets/${ref(key)}/tags/`),
      macro: (key: TicketKey) => u(`agent/tickets/${ref(key)}/macro/`),
    },
    admin: {
      /** Section root, used to highlight the Admin link. */
      root: u('admin/'),
      reports: u('admin/reports/'),
      departments: u('admin/departments/'),
      slaPolicies: u('admin/sla-policies/'),
      escalationRules: u('admin/escalation-rules/'),
      tags: u('admin/tags/'),
      cannedResponses: u('admin/canned-responses/'),
      macros: u('admin/macros/'),
      /** CRUD URLs of one resource: index/store, create, edit, update (PUT/POST), destroy. */
      resource: (name: AdminResource) => {
        const base = `admin/${ADMIN_RESOURCES[name]}/`
        return {
          index: u(base),
          store: u(base),
          create: u(`${base}create/`),
          edit: (pk: number) => u(`${base}${pk}/edit/`),
          update: (pk: number) => u(`${base}${pk}/`),
          destroy: (pk: number) => u(`${base}${pk}/delete/`),
        }
      },
    },
    attachment: (id: number) => u(`attachments/${id}/`),
  }
}

export type Routes = ReturnType<typeof makeRoutes>

/** Is `current` (a URL or path) inside the section at `base`? */
export function isActivePath(current: string, base: string, exact = false): boolean {
  const path = current.split(/[?#]/)[0] ?? ''
  return exact ? path === base : path === base || path.startsWith(base)
}
