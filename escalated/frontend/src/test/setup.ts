import { afterEach, vi } from 'vitest'

import type * as InertiaVue from '@inertiajs/vue3'

import { resetPage, testPage } from './page'

// Components read the current page through usePage(); tests drive it via ./page.
// Everything else from Inertia (useForm, router, Link) is the real thing: tests spy
// on `router` methods instead of sending requests.
vi.mock('@inertiajs/vue3', async (importOriginal) => {
  const actual = await importOriginal<typeof InertiaVue>()
  const { defineComponent } = await import('vue')
  // <Head> needs the head manager that createInertiaApp sets up.
  const Head = defineComponent({ name: 'HeadStub', props: { title: String }, render: () => null })
  return { ...actual, usePage: () => testPage, Head }
})

afterEach(() => {
  resetPage()
  if (typeof document !== 'undefined') document.body.innerHTML = ''
})
