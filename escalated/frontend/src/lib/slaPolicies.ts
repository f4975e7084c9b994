/** SLA policies and their business schedules: wording, and the admin form's draft shapes. */
import { PRIORITIES, type Priority } from '@/types/models'
import type { BusinessScheduleData, PriorityHours } from '@/types/pages'

export const WEEKDAYS = [
  { value: 1, short: 'Mon', label: 'Monday' },
  { value: 2, short: 'Tue', label: 'Tuesday' },
  { value: 3, short: 'Wed', label: 'Wednesday' },
  { value: 4, short: 'Thu', label: 'Thursday' },
  { value: 5, short: 'Fri', label: 'Friday' },
  { value: 6, short: 'Sat', label: 'Saturday' },
  { value: 7, short: 'Sun', label: 'Sunday' },
] as const

const SHORT = new Map<number, string>(WEEKDAYS.map((d) => [d.value, d.short]))

/** ISO weekdays → "Mon–Fri", "Mon, Wed, Fri", "Mon–Wed, Sat", "Every day" or "No days". */
export function describeDays(days: readonly number[]): string {
  const sorted = [...new Set(days)].filter((d) => SHORT.has(d)).sort((a, b) => a - b)
  if (sorted.length === 0) return 'No days'
  if (sorted.length === 7) return 'Every day'
  const runs: number[][] = []
  for (const day of sorted) {
    const run = runs[runs.length - 1]
    if (run && day === run[run.length - 1]! + 1) run.push(day)
    else runs.push([day])
  }
  return runs
    .flatMap((run) =>
      run.length >= 3
        ? [`${SHORT.get(run[0]!)}–${SHORT.get(run[run.length - 1]!)}`]
        : run.map((d) => SHORT.get(d)!),
    )
    .join(', ')
}

/** "Mon–Fri 09:00–17:00 (Europe/Paris)", or the fallback when the policy has no schedule. */
export function describeSchedule(schedule: BusinessScheduleData | null): string {
  if (!schedule) return 'Default business hours'
  const { start_time: start, end_time: end, timezone } = schedule
  return `${describeDays(schedule.days)} ${start}–${end} (${timezone})`
}

/** The schedule part of the SLA policy form (what `schedule` is posted as). */
export interface ScheduleDraft {
  timezone: string
  start_time: string
  end_time: string
  days: number[]
  holidays: { date: string; name: string }[]
}

export function scheduleDraft(schedule: BusinessScheduleData | null): ScheduleDraft {
  if (!schedule) {
    return {
      timezone: 'UTC',
      start_time: '09:00',
      end_time: '17:00',
      days: [1, 2, 3, 4, 5],
      holidays: [],
    }
  }
  return {
    timezone: schedule.timezone,
    start_time: schedule.start_time,
    end_time: schedule.end_time,
    days: [...schedule.days],
    holidays: schedule.holidays.map(({ date, name }) => ({ date, name })),
  }
}

/** The schedule to post: holiday rows left completely empty are dropped. */
export function schedulePayload(draft: ScheduleDraft): ScheduleDraft {
  return {
    ...draft,
    days: [...draft.days].sort((a, b) => a - b),
    holidays: draft.holidays
      .map(({ date, name }) => ({ date, name: name.trim() }))
      .filter(({ date, name }) => date !== '' || name !== ''),
  }
}

/** Hours per priority as form inputs: every priority present, "" where there is no target. */
export type HoursDraft = Record<Priority, number | ''>

export function hoursDraft(hours: PriorityHours | null | undefined): HoursDraft {
  return Object.fromEntries(PRIORITIES.map((p) => [p, hours?.[p] ?? ''])) as HoursDraft
}

/** "4 h" or "—" for one target. */
export function formatTarget(hours: number | undefined): string {
  return hours === undefined ? '—' : `${hours} h`
}
