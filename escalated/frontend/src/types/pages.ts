/**
 * Props of each Inertia page (component name → props, not counting SharedProps).
 * The Python views (escalated/views/*, built with escalated/props.py) must send these.
 */
import type {
  Activity,
  Agent,
  CannedResponse,
  Department,
  DepartmentRef,
  MacroSummary,
  Paginated,
  Priority,
  Reply,
  SatisfactionRating,
  Status,
  Tag,
  Ticket,
} from './models'
import type { EscalationRule, Macro } from './rules'
import type { TicketFilterState } from './filters'

export interface Option<V = string> {
  value: V
  label: string
}

/** Vocabularies with their translated labels, sent by pages that need pickers. */
export interface Choices {
  statuses: Option<Status>[]
  priorities: Option<Priority>[]
}

/* ---------- customer portal ---------- */

/** Escalated/Customer/Tickets/Index */
export interface CustomerTicketIndexProps {
  tickets: Paginated<Ticket>
  /** Optional quick filter: "open" | "closed" | "" */
  scope: string
}

/** Escalated/Customer/Tickets/Create */
export interface CustomerTicketCreateProps {
  departments: DepartmentRef[]
  priorities: Option<Priority>[]
}

/** Escalated/Customer/Tickets/Show */
export interface CustomerTicketShowProps {
  ticket: Ticket
  /** Public replies only: the server never sends internal notes to customers. */
  replies: Reply[]
  rating: SatisfactionRating | null
  can_reply: boolean
  can_close: boolean
  can_reopen: boolean
  can_rate: boolean
}

/** Escalated/Guest/Create (the public form; no account) */
export type GuestCreateProps = CustomerTicketCreateProps

/** Escalated/Guest/Show (the ticket's secret link) */
export interface GuestShowProps extends CustomerTicketShowProps {
  token: string
  urls: { show: string; reply: string; close: string; reopen: string; rate: string }
}

/* ---------- agent workspace ---------- */

/** Escalated/Agent/Dashboard */
export interface AgentDashboardProps {
  counts: {
    my_open: number
    unassigned: number
    breaching_soon: number
    breached: number
    resolved_today: number
  }
  /** Short lists, one per count. */
  my_open: Ticket[]
  unassigned: Ticket[]
  breaching_soon: Ticket[]
  breached: Ticket[]
  resolved_today: Ticket[]
  /** SLA.WARNING_THRESHOLD_PERCENT, for SlaCountdown's at-risk state. */
  sla_warning_percent: number
}

/** Escalated/Agent/Tickets/Index */
export interface AgentTicketIndexProps {
  tickets: Paginated<Ticket>
  /** The filters the server applied, normalised (same shape as lib/filters.ts). */
  filters: TicketFilterState
  agents: Agent[]
  departments: DepartmentRef[]
  tags: Tag[]
  choices: Choices
  sla_warning_percent: number
}

/** Escalated/Agent/Tickets/Show */
export interface AgentTicketShowProps {
  ticket: Ticket
  /** Public replies and internal notes, oldest first. */
  replies: Reply[]
  activities: Activity[]
  rating: SatisfactionRating | null
  agents: Agent[]
  departments: DepartmentRef[]
  tags: Tag[]
  canned_responses: CannedResponse[]
  macros: MacroSummary[]
  choices: Choices
  /** Statuses the ticket may move to from its current one (the transition table). */
  allowed_statuses: Status[]
  sla_warning_percent: number
}

/* ---------- admin ---------- */

export interface ReportSeries {
  label: string
  data: number[]
}

/** Escalated/Admin/Reports (`?days=` 1–365, default 30) */
export interface AdminReportsProps {
  range: { from: string; to: string; days: number }
  totals: {
    created: number
    resolved: number
    open: number
    sla_breached: number
    /** Breached ÷ created with an SLA policy (0–1), null when none had a policy. */
    sla_breach_rate: number | null
    avg_first_response_hours: number | null
    avg_resolution_hours: number | null
    /** Mean CSAT rating (1–5) of the range, null without ratings. */
    csat_average: number | null
    csat_count: number
  }
  /** Daily buckets: labels are ISO dates. */
  volume: { labels: string[]; series: ReportSeries[] }
  by_status: { status: Status; label: string; count: number }[]
  by_priority: { priority: Priority; label: string; count: number }[]
  by_agent: { agent: Agent | null; assigned: number; resolved: number }[]
}

/** Escalated/Admin/Departments/Index */
export interface AdminDepartmentIndexProps {
  departments: Department[]
}
/** Escalated/Admin/Departments/Form (create when department is null) */
export interface AdminDepartmentFormProps {
  department: Department | null
  agents: Agent[]
}

export type PriorityHours = Partial<Record<Priority, number>>

export interface BusinessScheduleData {
  id: number
  name: string
  timezone: string
  /** "HH:MM" */
  start_time: string
  end_time: string
  /** ISO weekdays, Monday = 1 … Sunday = 7 */
  days: number[]
  holidays: { id: number; date: string; name: string }[]
}

export interface SlaPolicyData {
  id: number
  name: string
  description: string
  is_default: boolean
  is_active: boolean
  first_response_hours: PriorityHours
  resolution_hours: PriorityHours
  schedule: BusinessScheduleData | null
}

/** Escalated/Admin/SlaPolicies/Index */
export interface AdminSlaPolicyIndexProps {
  policies: SlaPolicyData[]
}
/** Escalated/Admin/SlaPolicies/Form */
export interface AdminSlaPolicyFormProps {
  policy: SlaPolicyData | null
  schedules: BusinessScheduleData[]
  timezones: string[]
  choices: Choices
}

/** Escalated/Admin/EscalationRules/Index */
export interface AdminEscalationRuleIndexProps {
  rules: EscalationRule[]
}
/** Escalated/Admin/EscalationRules/Form */
export interface AdminEscalationRuleFormProps {
  rule: EscalationRule | null
  agents: Agent[]
  departments: DepartmentRef[]
  tags: Tag[]
  choices: Choices
}

/** Escalated/Admin/Tags/Index */
export interface AdminTagIndexProps {
  tags: (Tag & { ticket_count: number })[]
}
/** Escalated/Admin/Tags/Form */
export interface AdminTagFormProps {
  tag: Tag | null
}

/** Escalated/Admin/CannedResponses/Index and …/Form */
export interface AdminCannedResponseIndexProps {
  canned_responses: CannedResponse[]
}
export interface AdminCannedResponseFormProps {
  canned_response: CannedResponse | null
}

/** Escalated/Admin/Macros/Index and …/Form */
export interface AdminMacroIndexProps {
  macros: Macro[]
}
export interface AdminMacroFormProps {
  macro: Macro | null
  agents: Agent[]
  departments: DepartmentRef[]
  tags: Tag[]
  choices: Choices
}

/* ---------- errors ---------- */

/** Escalated/Errors/Forbidden and Escalated/Errors/NotFound */
export interface ErrorPageProps {
  /** Optional server message; the page has a friendly default. */
  message?: string | null
  status?: 403 | 404
}
