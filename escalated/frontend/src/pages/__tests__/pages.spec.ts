import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'

import { resolvePage } from '@/lib/pages'
import { setPage, sharedProps, user } from '@/test/page'

import Forbidden from '../Escalated/Errors/Forbidden.vue'
import NotFound from '../Escalated/Errors/NotFound.vue'

describe('resolvePage', () => {
  const pages = import.meta.glob<{ default: never }>('../**/*.vue')
  const rebased = Object.fromEntries(
    Object.entries(pages).map(([path, load]) => [path.replace('../', './pages/'), load]),
  )

  it('maps an Inertia component name to its file', async () => {
    expect(await resolvePage(rebased, 'Escalated/Errors/NotFound')).toBe(NotFound)
  })

  it('fails loudly for an unknown page', async () => {
    await expect(resolvePage(rebased, 'Escalated/Nope')).rejects.toThrow(
      'no page component "Escalated/Nope" (expected src/pages/Escalated/Nope.vue)',
    )
  })
})

describe('error pages', () => {
  it('NotFound is friendly and links home for the user', () => {
    setPage({ props: sharedProps({ auth: { user: user({ is_agent: true }) } }) })
    const wrapper = mount(NotFound)
    expect(wrapper.get('h1').text()).toBe("We couldn't find that page")
    const home = wrapper.get('a')
    expect(home.text()).toBe('Back to the dashboard')
    expect(home.attributes('href')).toBe('/support/agent/')
  })

  it('Forbidden shows the server message when there is one', () => {
    setPage({ props: sharedProps({ auth: { user: user() } }) })
    const wrapper = mount(Forbidden, { props: { message: 'Only admins can edit SLA policies.' } })
    expect(wrapper.text()).toContain('Error 403')
    expect(wrapper.text()).toContain('Only admins can edit SLA policies.')
    expect(wrapper.get('a').attributes('href')).toBe('/support/tickets/')
  })

  it('links guests to the site root', () => {
    const wrapper = mount(NotFound)
    expect(wrapper.get('a').attributes('href')).toBe('/')
    expect(wrapper.get('a').text()).toBe('Go to the home page')
  })
})
