import type { DjangoMessage, SharedProps } from './shared'

declare module '@inertiajs/core' {
  export interface InertiaConfig {
    sharedPageProps: SharedProps
    flashDataType: { messages?: DjangoMessage[] }
  }
}

export {}
