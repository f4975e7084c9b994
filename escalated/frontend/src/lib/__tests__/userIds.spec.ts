// @vitest-environment node
import { describe, expect, it } from 'vitest'

import { UUID_ADA, uuidAgents } from '@/test/fixtures'

import { isUserId, sameUser, userIdFromInput } from '../userIds'

describe('userIdFromInput', () => {
  it('reads nothing from an empty value', () => {
    expect(userIdFromInput('')).toBeNull()
  })

  it('reads an integer key as a number, as an integer host sends it', () => {
    expect(userIdFromInput('42')).toBe(42)
  })

  it('keeps a UUID or text key as text', () => {
    expect(userIdFromInput(UUID_ADA)).toBe(UUID_ADA)
    expect(userIdFromInput('alice')).toBe('alice')
  })

  it('keeps digits a number would change as text', () => {
    expect(userIdFromInput('007')).toBe('007')
    expect(userIdFromInput('123456789012345678901')).toBe('123456789012345678901')
  })

  it('returns a known user id as the server sent it', () => {
    // A text-keyed host's user "42" is the string "42", not the number.
    expect(userIdFromInput('42', [{ id: '42' }])).toBe('42')
    expect(userIdFromInput(UUID_ADA, uuidAgents)).toBe(UUID_ADA)
    expect(userIdFromInput('7', [{ id: 7 }])).toBe(7)
  })
})

describe('sameUser', () => {
  it('matches an id whether it arrived as a number or as text', () => {
    expect(sameUser(42, '42')).toBe(true)
    expect(sameUser(UUID_ADA, UUID_ADA)).toBe(true)
    expect(sameUser(42, 43)).toBe(false)
    expect(sameUser(UUID_ADA, '0b7c8a2e')).toBe(false)
  })

  it('never matches a missing id', () => {
    expect(sameUser(undefined, undefined)).toBe(false)
    expect(sameUser(null, 1)).toBe(false)
  })
})

describe('isUserId', () => {
  it('takes positive integers and non-blank text', () => {
    expect([1, UUID_ADA, 'alice'].every(isUserId)).toBe(true)
    expect([0, -1, 1.5, '', '  ', null, undefined, true].some(isUserId)).toBe(false)
  })
})
