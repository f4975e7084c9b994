import { describe, expect, it } from 'vitest'

import { ticket } from '@/test/fixtures'

import { currentSlaTarget, ticketPlaceholders } from '../tickets'

describe('currentSlaTarget', () => {
  it('is the first response until someone replied', () => {
    expect(currentSlaTarget(ticket({ sla_first_response_breached: true }))).toEqual({
      label: 'First response',
      dueAt: '2025-01-01T14:00:00Z',
      metAt: null,
      breached: true,
    })
  })

  it('is the resolution once the first response is met', () => {
    const t = ticket({
      first_response_at: '2025-01-01T11:00:00Z',
      resolved_at: '2025-01-01T12:00:00Z',
    })
    expect(currentSlaTarget(t)).toEqual({
      label: 'Resolution',
      dueAt: '2025-01-02T10:00:00Z',
      metAt: '2025-01-01T12:00:00Z',
      breached: false,
    })
  })

  it('is the resolution of a ticket resolved before anyone replied', () => {
    const t = ticket({ status: 'resolved', is_open: false, resolved_at: '2025-01-01T12:00:00Z' })
    expect(currentSlaTarget(t)).toMatchObject({
      label: 'Resolution',
      metAt: '2025-01-01T12:00:00Z',
    })
  })

  it('is the resolution when there is no first-response target', () => {
    expect(currentSlaTarget(ticket({ first_response_due_at: null })).label).toBe('Resolution')
  })
})

describe('ticketPlaceholders', () => {
  it('fills what canned responses may mention', () => {
    expect(ticketPlaceholders(ticket(), 'Ada')).toEqual({
      requester_name: 'Sam Customer',
      requester_email: 'sam@example.com',
      reference: 'ESC-00042',
      subject: 'Printer on fire',
      agent_name: 'Ada',
    })
  })

  it('falls back to the e-mail for a requester without a name', () => {
    expect(ticketPlaceholders(ticket({ requester_name: '' })).requester_name).toBe(
      'sam@example.com',
    )
  })
})
