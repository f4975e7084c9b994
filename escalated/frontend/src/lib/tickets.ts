/** Small facts about a ticket that several pages show the same way. */
import type { IsoDateTime, Ticket } from '@/types/models'

export interface SlaTarget {
  label: 'First response' | 'Resolution'
  dueAt: IsoDateTime | null
  metAt: IsoDateTime | null
  breached: boolean
}

/** The SLA clock a ticket list shows: first response until it is met (or the ticket is
 * closed without it), then resolution. */
export function currentSlaTarget(ticket: Ticket): SlaTarget {
  if (ticket.is_open && !ticket.first_response_at && ticket.first_response_due_at) {
    return {
      label: 'First response',
      dueAt: ticket.first_response_due_at,
      metAt: null,
      breached: ticket.sla_first_response_breached,
    }
  }
  return {
    label: 'Resolution',
    dueAt: ticket.resolution_due_at,
    metAt: ticket.resolved_at,
    breached: ticket.sla_resolution_breached,
  }
}

/** Values for `{{ key }}` placeholders in canned responses. */
export function ticketPlaceholders(ticket: Ticket, agentName = ''): Record<string, string> {
  return {
    requester_name: ticket.requester_name || ticket.requester_email,
    requester_email: ticket.requester_email,
    reference: ticket.reference,
    subject: ticket.subject,
    agent_name: agentName,
  }
}

/** The placeholders canned responses may use, for the admin form's hint. */
export const PLACEHOLDER_KEYS = [
  'requester_name',
  'requester_email',
  'reference',
  'subject',
  'agent_name',
] as const
