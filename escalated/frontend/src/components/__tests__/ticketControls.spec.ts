import { router } from '@inertiajs/vue3'
import { flushPromises, mount } from '@vue/test-utils'
import { beforeEach, describe, expect, it, vi } from 'vitest'

import { tags } from '@/test/fixtures'

import DeleteButton from '../DeleteButton.vue'
import TicketPropertyForm from '../TicketPropertyForm.vue'
import TicketTagsEditor from '../TicketTagsEditor.vue'

const STATUSES = [
  { value: 'open', label: 'Open' },
  { value: 'resolved', label: 'Resolved' },
]

describe('TicketPropertyForm', () => {
  let post: ReturnType<typeof vi.spyOn>
  beforeEach(() => {
    post = vi.spyOn(router, 'post').mockImplementation(() => undefined)
  })

  function mountForm(value = 'open') {
    return mount(TicketPropertyForm, {
      props: { label: 'Status', field: 'status', value, options: STATUSES, action: '/s/' },
    })
  }

  it('saves only after the value changed', async () => {
    const wrapper = mountForm()
    const save = wrapper.get('button[type="submit"]')
    expect(save.attributes('aria-label')).toBe('Save status')
    expect(save.attributes('disabled')).toBeDefined()

    await wrapper.get('select').setValue('resolved')
    expect(save.attributes('disabled')).toBeUndefined()
    await wrapper.get('form').trigger('submit')

    expect(post).toHaveBeenCalledWith('/s/', { status: 'resolved' }, expect.any(Object))
  })

  it('follows the current value the server sends after a save', async () => {
    const wrapper = mountForm()
    await wrapper.get('select').setValue('resolved')
    await wrapper.setProps({ value: 'resolved' })
    expect((wrapper.get('select').element as HTMLSelectElement).value).toBe('resolved')
    expect(wrapper.get('button[type="submit"]').attributes('disabled')).toBeDefined()
  })

  it('shows the server error for its field', async () => {
    post.mockImplementation(
      (_url: string, _data: unknown, options: { onError?: (e: object) => void }) =>
        options.onError?.({ status: 'A closed ticket can only be reopened.' }),
    )
    const wrapper = mountForm()
    await wrapper.get('select').setValue('resolved')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(wrapper.get('select').attributes('aria-invalid')).toBe('true')
    expect(wrapper.text()).toContain('A closed ticket can only be reopened.')
  })
})

describe('TicketTagsEditor', () => {
  it('adds a tag the ticket lacks and removes one it has', async () => {
    const post = vi.spyOn(router, 'post').mockImplementation(() => undefined)
    const wrapper = mount(TicketTagsEditor, {
      props: { tags: [tags[0]!], available: tags, action: '/t/' },
    })
    const options = wrapper.findAll('select option').map((o) => o.text())
    expect(options).toEqual(['Add a tag…', 'Refund'])

    await wrapper.get('select').setValue('21')
    await wrapper.get('form').trigger('submit')
    expect(post).toHaveBeenLastCalledWith('/t/', { add: [21] }, expect.any(Object))

    await wrapper.get('button[aria-label="Remove tag VIP"]').trigger('click')
    expect(post).toHaveBeenLastCalledWith('/t/', { remove: [20] }, expect.any(Object))
  })
})

describe('DeleteButton', () => {
  it('deletes only after confirming', async () => {
    const post = vi.spyOn(router, 'post').mockImplementation(() => undefined)
    const wrapper = mount(DeleteButton, {
      attachTo: document.body,
      props: { url: '/d/3/delete/', kind: 'tag', name: 'VIP', detail: 'It leaves 2 tickets.' },
    })
    await wrapper.get('button[aria-label="Delete tag VIP"]').trigger('click')
    const dialog = wrapper.get('[role="alertdialog"]')
    expect(dialog.text()).toContain(
      '“VIP” will be deleted. It leaves 2 tickets. This cannot be undone.',
    )
    expect(post).not.toHaveBeenCalled()

    await dialog
      .findAll('button')
      .find((b) => b.text() === 'Delete')!
      .trigger('click')
    expect(post).toHaveBeenCalledWith('/d/3/delete/', {}, expect.any(Object))
    wrapper.unmount()
  })
})
