/**
 * Multipart bodies the way Django reads them: a list is the same key repeated
 * (`request.FILES.getlist("attachments")`), booleans are "true"/"false" (Django's
 * CheckboxInput reads "0" as True), null is an empty string.
 */
export type DjangoFormValue = string | number | boolean | Blob | null | undefined

export function toDjangoFormData(
  data: Record<string, DjangoFormValue | readonly DjangoFormValue[]>,
): FormData {
  const form = new FormData()
  const append = (key: string, value: DjangoFormValue) => {
    if (value === undefined) return
    if (value === null) form.append(key, '')
    else if (value instanceof File) form.append(key, value, value.name)
    else if (value instanceof Blob) form.append(key, value)
    else if (typeof value === 'boolean') form.append(key, value ? 'true' : 'false')
    else form.append(key, String(value))
  }
  for (const [key, value] of Object.entries(data)) {
    if (Array.isArray(value)) (value as DjangoFormValue[]).forEach((v) => append(key, v))
    else append(key, value as DjangoFormValue)
  }
  return form
}
