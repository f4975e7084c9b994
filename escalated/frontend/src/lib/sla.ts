/** The state of one SLA clock at a moment: pure, so it is tested without a DOM. */
import { parseIso } from './time'

export type SlaState = 'none' | 'on_track' | 'at_risk' | 'breached' | 'paused' | 'met' | 'stopped'

export interface SlaClockInput {
  /** Deadline (ISO), e.g. ticket.first_response_due_at or ticket.resolution_due_at. */
  dueAt: string | null | undefined
  /** Now, in epoch milliseconds. */
  now: number
  /** When the target was met (first_response_at / resolved_at); met clocks stop. */
  metAt?: string | null
  /** When the clock stopped unmet (a ticket resolved or closed before its first reply). */
  stoppedAt?: string | null
  /** The server's breach flag (sla_*_breached): wins over the local clock. */
  breached?: boolean
  /** The clock is paused (waiting on the customer). */
  paused?: boolean
  /** Exact warning moment if the server sends one. */
  warnAt?: string | null
  /** When the clock started (created_at): with warningPercent gives the warning moment. */
  startedAt?: string | null
  /** SLA.WARNING_THRESHOLD_PERCENT (default 80). */
  warningPercent?: number
  /** Fallback threshold when the start is unknown: at risk in the last N seconds (default 1 h). */
  warningSeconds?: number
}

export interface SlaClock {
  state: SlaState
  /** on_track / at_risk: seconds left; breached: seconds overdue (null if unknown); else null. */
  seconds: number | null
}

export const DEFAULT_WARNING_PERCENT = 80
export const DEFAULT_WARNING_SECONDS = 3_600

export function slaClock(input: SlaClockInput): SlaClock {
  const due = parseIso(input.dueAt)
  const met = parseIso(input.metAt)

  if (met !== null) {
    const late = input.breached === true || (due !== null && met > due)
    return late
      ? { state: 'breached', seconds: due !== null ? Math.floor((met - due) / 1000) : null }
      : { state: 'met', seconds: null }
  }
  const stopped = parseIso(input.stoppedAt)
  if (stopped !== null) {
    const late = input.breached === true || (due !== null && stopped > due)
    return late
      ? { state: 'breached', seconds: due !== null ? Math.floor((stopped - due) / 1000) : null }
      : { state: 'stopped', seconds: null }
  }
  if (input.paused) return { state: input.breached ? 'breached' : 'paused', seconds: null }
  if (due === null) return { state: input.breached ? 'breached' : 'none', seconds: null }

  const remaining = Math.floor((due - input.now) / 1000)
  if (remaining <= 0 || input.breached) {
    return { state: 'breached', seconds: Math.max(0, -remaining) }
  }
  return { state: isAtRisk(input, due, remaining) ? 'at_risk' : 'on_track', seconds: remaining }
}

function isAtRisk(input: SlaClockInput, due: number, remaining: number): boolean {
  const warnAt = parseIso(input.warnAt)
  if (warnAt !== null) return input.now >= warnAt
  const started = parseIso(input.startedAt)
  if (started !== null && due > started) {
    const percent = input.warningPercent ?? DEFAULT_WARNING_PERCENT
    return input.now >= started + ((due - started) * percent) / 100
  }
  return remaining <= (input.warningSeconds ?? DEFAULT_WARNING_SECONDS)
}
