import { router } from '@inertiajs/vue3'
import { mount } from '@vue/test-utils'
import { beforeEach, describe, expect, it, vi } from 'vitest'

import { reply, ticket } from '@/test/fixtures'
import { setPage, sharedProps, user } from '@/test/page'
import type { CustomerTicketShowProps } from '@/types/pages'

import GuestShow from '../Escalated/Guest/Show.vue'
import CustomerIndex from '../Escalated/Customer/Tickets/Index.vue'
import CustomerShow from '../Escalated/Customer/Tickets/Show.vue'

function showProps(partial: Partial<CustomerTicketShowProps> = {}): CustomerTicketShowProps {
  return {
    ticket: ticket(),
    replies: [
      reply({ body: 'Could you try a reset?' }),
      reply({ id: 2, author: null, author_type: 'customer', body: 'Did not help.' }),
    ],
    rating: null,
    can_reply: true,
    can_close: true,
    can_reopen: false,
    can_rate: false,
    ...partial,
  }
}

describe('Customer ticket page', () => {
  let post: ReturnType<typeof vi.spyOn>
  beforeEach(() => {
    setPage({ url: '/support/tickets/ESC-00042/', props: sharedProps({ auth: { user: user() } }) })
    post = vi.spyOn(router, 'post').mockImplementation(() => undefined)
  })

  it('shows the public conversation and a reply box without the note toggle', () => {
    const wrapper = mount(CustomerShow, { props: showProps() })
    const messages = wrapper.findAll('[aria-label="Conversation"] article')
    expect(messages.map((m) => m.attributes('aria-label'))).toEqual([
      'Requester from You',
      'Support from Ada',
      'Requester from You',
    ])
    expect(wrapper.find('input[type="radio"]').exists()).toBe(false)
    expect(wrapper.get('form textarea').attributes('name')).toBe('body')
  })

  it('closes the ticket after confirming', async () => {
    const wrapper = mount(CustomerShow, { props: showProps(), attachTo: document.body })
    await wrapper
      .findAll('button')
      .find((b) => b.text() === 'Close ticket')!
      .trigger('click')
    const dialog = wrapper.get('[role="alertdialog"]')
    expect(dialog.text()).toContain('Close this ticket?')
    await dialog
      .findAll('button')
      .find((b) => b.text() === 'Close ticket')!
      .trigger('click')
    expect(post).toHaveBeenCalledWith('/support/tickets/ESC-00042/close/', {}, expect.any(Object))
    wrapper.unmount()
  })

  it('asks for a rating once resolved, and offers to reopen', async () => {
    const resolved = ticket({ status: 'resolved', status_display: 'Resolved', is_open: false })
    const wrapper = mount(CustomerShow, {
      props: showProps({ ticket: resolved, can_close: true, can_reopen: true, can_rate: true }),
    })
    expect(wrapper.findAll('button').map((b) => b.text())).toContain('Reopen ticket')

    const rating = wrapper.findAll('form').find((f) => f.text().includes('How did we do?'))!
    await rating.trigger('submit')
    expect(rating.text()).toContain('Choose a rating from 1 to 5.')
    expect(post).not.toHaveBeenCalled()

    await rating.get('input[value="4"]').setValue(true)
    await rating.trigger('submit')
    expect(post).toHaveBeenCalledWith(
      '/support/tickets/ESC-00042/rate/',
      { rating: 4, comment: '' },
      expect.any(Object),
    )
  })

  it('has no reply box on a closed ticket', () => {
    const closed = ticket({ status: 'closed', status_display: 'Closed', is_open: false })
    const wrapper = mount(CustomerShow, {
      props: showProps({
        ticket: closed,
        can_reply: false,
        can_close: false,
        can_reopen: true,
        rating: { rating: 5, comment: 'Quick!', created_at: '2025-01-02T10:00:00Z' },
      }),
    })
    expect(wrapper.find('textarea').exists()).toBe(false)
    expect(wrapper.text()).toContain('This ticket is closed.')
    expect(wrapper.text()).toContain('You rated this ticket 5 out of 5.')
  })
})

describe('Guest ticket page', () => {
  it('posts to the secret-link URLs the server sends', async () => {
    const post = vi.spyOn(router, 'post').mockImplementation(() => undefined)
    const urls = {
      show: '/support/guest/t0k/',
      reply: '/support/guest/t0k/reply/',
      close: '/support/guest/t0k/close/',
      reopen: '/support/guest/t0k/reopen/',
      rate: '/support/guest/t0k/rate/',
    }
    const wrapper = mount(GuestShow, {
      props: { ...showProps(), token: 't0k', urls },
      attachTo: document.body,
    })
    expect(wrapper.text()).toContain('Bookmark this page')
    await wrapper.get('textarea').setValue('Any news?')
    await wrapper.get('form').trigger('submit')
    expect(post.mock.calls[0]![0]).toBe('/support/guest/t0k/reply/')
    wrapper.unmount()
  })
})

describe('My tickets', () => {
  it('lists tickets with their status and links to them', () => {
    setPage({ url: '/support/tickets/', props: sharedProps({ auth: { user: user() } }) })
    const data = [ticket(), ticket({ id: 43, reference: 'ESC-00043', subject: 'Invoice' })]
    const wrapper = mount(CustomerIndex, {
      props: {
        scope: '',
        tickets: { data, total: 2, per_page: 25, current_page: 1, last_page: 1 },
      },
    })
    const links = wrapper.findAll('ul[aria-label="Tickets"] a')
    expect(links.map((a) => [a.text(), a.attributes('href')])).toEqual([
      ['Printer on fire', '/support/tickets/ESC-00042/'],
      ['Invoice', '/support/tickets/ESC-00043/'],
    ])
    expect(wrapper.get('[aria-current="page"]').text()).toBe('All')
  })

  it('says when a scope is empty', () => {
    const wrapper = mount(CustomerIndex, {
      props: {
        scope: 'open',
        tickets: { data: [], total: 0, per_page: 25, current_page: 1, last_page: 1 },
      },
    })
    expect(wrapper.get('h2').text()).toBe('No open tickets')
    expect(wrapper.get('[aria-current="page"]').text()).toBe('Open')
  })
})
