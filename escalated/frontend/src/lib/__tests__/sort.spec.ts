import { describe, expect, it } from 'vitest'

import { nextSort, sortDirection } from '../sort'

describe('column sorting', () => {
  it('starts a column with its first sort and toggles on the next click', () => {
    expect(nextSort('-created_at', 'priority')).toBe('-priority')
    expect(nextSort('-priority', 'priority')).toBe('priority')
    expect(nextSort('priority', 'priority')).toBe('-priority')
    expect(nextSort('-created_at', 'created')).toBe('created_at')
  })

  it('keeps the one-way SLA sort', () => {
    expect(nextSort('-updated_at', 'due')).toBe('due')
    expect(nextSort('due', 'due')).toBe('due')
  })

  it('tells each header its aria-sort', () => {
    expect(sortDirection('-updated_at', 'updated')).toBe('descending')
    expect(sortDirection('updated_at', 'updated')).toBe('ascending')
    expect(sortDirection('due', 'due')).toBe('ascending')
    expect(sortDirection('due', 'priority')).toBe('none')
  })
})
