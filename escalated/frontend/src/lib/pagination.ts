/** Links for a paginated list that keep the current query (filters, sort) intact. */

/** The URL of `page` on the list at `currentUrl`; page 1 drops the parameter. */
export function pageUrl(currentUrl: string, page: number, param = 'page'): string {
  const hashIndex = currentUrl.indexOf('#')
  const withoutHash = hashIndex >= 0 ? currentUrl.slice(0, hashIndex) : currentUrl
  const [path = '', query = ''] = withoutHash.split('?', 2)
  const params = new URLSearchParams(query)
  if (page > 1) params.set(param, String(page))
  else params.delete(param)
  const qs = params.toString()
  return qs ? `${path}?${qs}` : path
}

export type PageItem = number | 'gap'

/** 1 … 4 5 [6] 7 8 … 20: first, last and `around` pages either side of the current one. */
export function pageWindow(current: number, last: number, around = 1): PageItem[] {
  if (last <= 1) return [1]
  const pages = new Set<number>([1, last])
  for (let p = current - around; p <= current + around; p += 1) {
    if (p >= 1 && p <= last) pages.add(p)
  }
  const sorted = [...pages].sort((a, b) => a - b)
  const items: PageItem[] = []
  sorted.forEach((p, i) => {
    const prev = sorted[i - 1]
    if (prev !== undefined && p - prev === 2) items.push(prev + 1)
    else if (prev !== undefined && p - prev > 2) items.push('gap')
    items.push(p)
  })
  return items
}
