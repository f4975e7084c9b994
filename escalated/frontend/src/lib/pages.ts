import type { DefineComponent } from 'vue'

export type PageModule = { default: DefineComponent }
export type PageModules = Record<string, () => Promise<PageModule>>

/** Load the page for an Inertia component name ("Escalated/Errors/NotFound"). */
export async function resolvePage(pages: PageModules, name: string): Promise<DefineComponent> {
  const load = pages[`./pages/${name}.vue`]
  if (!load) {
    throw new Error(`Escalated: no page component "${name}" (expected src/pages/${name}.vue).`)
  }
  return (await load()).default
}
