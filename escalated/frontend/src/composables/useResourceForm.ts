import { useForm } from '@inertiajs/vue3'
import type { FormDataType } from '@inertiajs/core'
import { computed } from 'vue'

import { useShared } from '@/composables/useShared'
import type { AdminResource } from '@/lib/routes'

/**
 * The create/edit form of an admin resource: `useForm(data)` plus a `submit` that
 * POSTs a new item to the index URL or PUTs an existing one to its own URL (JSON).
 * The server redirects to the index on success, or back here with `errors`.
 */
export function useResourceForm<T extends FormDataType<T>>(
  resource: AdminResource,
  id: number | null,
  data: T,
) {
  const { routes } = useShared()
  const urls = computed(() => routes.value.admin.resource(resource))
  const form = useForm<T>(data)

  function submit(): void {
    if (id === null) form.post(urls.value.store, { preserveScroll: true })
    else form.put(urls.value.update(id), { preserveScroll: true })
  }

  return { form, urls, submit }
}
