import { usePage } from '@inertiajs/vue3'
import { computed } from 'vue'

import { makeRoutes } from '@/lib/routes'
import type { EscalatedConfigProps, SharedProps } from '@/types/shared'

/** Defaults used when a page is rendered without the shared `escalated` prop (tests, errors). */
export const DEFAULT_CONFIG: EscalatedConfigProps = {
  route_prefix: 'support',
  max_attachments: 5,
  max_attachment_size_kb: 10240,
  allow_customer_close: true,
}

/** Typed access to the shared props, tolerant of any of them being absent. */
export function useShared() {
  const page = usePage()
  const props = computed(() => (page?.props ?? {}) as Partial<SharedProps>)
  const user = computed(() => props.value.auth?.user ?? null)
  const logoutUrl = computed(() => (user.value ? (props.value.auth?.logout_url ?? null) : null))
  const config = computed<EscalatedConfigProps>(() => ({
    ...DEFAULT_CONFIG,
    ...(props.value.escalated ?? {}),
  }))
  const routes = computed(() => makeRoutes(config.value.route_prefix))
  const url = computed(() => page?.url ?? '')
  return { page, props, user, logoutUrl, config, routes, url }
}
