import type { Priority, Status, UserId } from './models'

/** Attributes FormField hands to its control: spread them with v-bind. */
export interface FormFieldControlAttrs {
  id: string
  'aria-describedby': string | undefined
  'aria-invalid': 'true' | undefined
  required: boolean | undefined
}

/**
 * The bulk endpoint's vocabulary (escalated/views/agent.py `bulk`): POST
 * `{ids, action, value}` to routes.agent.bulk. `assign` takes a user id or "me".
 */
export type BulkAction =
  | { action: 'assign'; value: UserId | 'me' }
  | { action: 'unassign'; value: null }
  | { action: 'status'; value: Status }
  | { action: 'priority'; value: Priority }
  | { action: 'add_tag'; value: number }
  | { action: 'remove_tag'; value: number }

export type BulkActionName = BulkAction['action']

export type BulkActionPayload = BulkAction & { ids: number[] }
