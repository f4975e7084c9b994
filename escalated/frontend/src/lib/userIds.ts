/**
 * Ids of the host's users. The host's user model may be keyed by an integer (Django's
 * default), a UUID or text; the server (escalated/user_ids.py `user_id_json`) sends an
 * integer key as a JSON number and any other key as a JSON string. Nothing here may
 * assume a number: a select or a query string hands back text, and `Number()` of a UUID
 * is NaN.
 */
import type { UserId } from '@/types/models'

/**
 * A user id from a select's or a query's text: `null` for "" (nobody chosen). When
 * `known` (the agents the options were built from) holds a user whose id reads the
 * same, that id is returned as the server sent it, number or string (a text key "42"
 * stays the string "42"). Otherwise a canonical positive integer ("42", not "007" nor
 * a 20-digit number that a double would round) becomes a number, and anything else
 * (a UUID, a text key) is returned as is.
 */
export function userIdFromInput(
  value: string,
  known: readonly { id: UserId }[] = [],
): UserId | null {
  if (value === '') return null
  const match = known.find((user) => String(user.id) === value)
  if (match) return match.id
  if (/^[0-9]+$/.test(value)) {
    const n = Number(value)
    if (Number.isSafeInteger(n) && n > 0 && String(n) === value) return n
  }
  return value
}

/**
 * Whether two user ids name the same user, whether each arrived as a number or as
 * text (`42` and `"42"`). A missing id is nobody: never the same as another.
 */
export function sameUser(a: UserId | null | undefined, b: UserId | null | undefined): boolean {
  return a != null && b != null && String(a) === String(b)
}

/** Whether a value can be a user id: a positive integer or non-blank text. */
export function isUserId(value: unknown): value is UserId {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value > 0
  return typeof value === 'string' && value.trim() !== ''
}
