import 'vite/modulepreload-polyfill'
import './app.css'

import { createInertiaApp } from '@inertiajs/vue3'
import type { DefineComponent } from 'vue'
import { createApp, h } from 'vue'

import AppLayout from '@/layouts/AppLayout.vue'
import GuestLayout from '@/layouts/GuestLayout.vue'
import { resolvePage, type PageModules } from '@/lib/pages'
import type { SharedProps } from '@/types/shared'

// One lazy chunk per page: `Escalated/Agent/Tickets/Index` → pages/Escalated/Agent/Tickets/Index.vue
const pages = import.meta.glob<{ default: DefineComponent }>('./pages/**/*.vue') as PageModules

void createInertiaApp({
  resolve: (name) => resolvePage(pages, name),
  // Pages may set their own `layout` (defineOptions); otherwise guests and signed-out
  // visitors get the bare layout and everyone else the app shell.
  layout: (name, page) =>
    name.startsWith('Escalated/Guest/') || !(page.props as Partial<SharedProps>).auth?.user
      ? GuestLayout
      : AppLayout,
  title: (title) => (title ? `${title} · Support` : 'Support'),
  progress: { color: '#2563eb', delay: 250 },
  http: { xsrfCookieName: 'csrftoken', xsrfHeaderName: 'X-CSRFToken' },
  setup({ el, App, props, plugin }) {
    createApp({ render: () => h(App, props) })
      .use(plugin)
      .mount(el)
  },
})
