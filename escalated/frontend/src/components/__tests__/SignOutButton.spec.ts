import { mount } from '@vue/test-utils'
import { afterEach, describe, expect, it } from 'vitest'

import SignOutButton from '../SignOutButton.vue'

describe('SignOutButton', () => {
  afterEach(() => {
    document.cookie = 'csrftoken=; expires=Thu, 01 Jan 1970 00:00:00 GMT'
    document.cookie = 'other=; expires=Thu, 01 Jan 1970 00:00:00 GMT'
  })

  it('posts a form to the logout view with the CSRF token of the cookie', async () => {
    const wrapper = mount(SignOutButton, { props: { action: '/accounts/logout/' } })
    const form = wrapper.get('form')
    expect(form.attributes('method')).toBe('post')
    expect(form.attributes('action')).toBe('/accounts/logout/')
    expect(wrapper.get('button[type="submit"]').text()).toBe('Sign out')

    // the token is read when the form is sent (it changes when the user signs in)
    document.cookie = 'other=1'
    document.cookie = 'csrftoken=abc%2F123'
    await form.trigger('submit')
    const input = wrapper.get('input[name="csrfmiddlewaretoken"]').element as HTMLInputElement
    expect(input.value).toBe('abc/123')
  })

  it('has the token in the form data the browser builds right after the submit event', () => {
    // The browser reads the fields as soon as the submit listeners return, without
    // waiting for Vue's next render (e.g. on form.requestSubmit()).
    const wrapper = mount(SignOutButton, { props: { action: '/accounts/logout/' } })
    const form = wrapper.get('form').element as HTMLFormElement
    let sent: FormDataEntryValue | null = null
    form.addEventListener('submit', (event) => {
      event.preventDefault()
      sent = new FormData(form).get('csrfmiddlewaretoken')
    })

    document.cookie = 'csrftoken=tok3n'
    form.dispatchEvent(new Event('submit', { cancelable: true }))

    expect(sent).toBe('tok3n')
  })
})
