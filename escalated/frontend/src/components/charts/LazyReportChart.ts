import { defineAsyncComponent, h } from 'vue'

/**
 * ReportChart loaded on demand: chart.js (~70 kB gzip-less) lands in its own chunk and
 * is downloaded only when a page renders a chart (the admin reports page).
 */
export default defineAsyncComponent({
  loader: () => import('./ReportChart.vue'),
  loadingComponent: {
    render: () =>
      h('div', { class: 'h-64 animate-pulse rounded-md bg-slate-100', 'aria-hidden': 'true' }),
  },
  delay: 100,
})
