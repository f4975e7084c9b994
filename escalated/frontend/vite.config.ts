/// <reference types="vitest/config" />
import { fileURLToPath, URL } from 'node:url'

import tailwindcss from '@tailwindcss/vite'
import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vite'

/**
 * Where Django serves these files in development: `STATIC_URL` + django-vite's
 * `static_url_prefix` ("escalated/"). django-vite's dev mode asks the Vite server for
 * `<STATIC_URL>escalated/src/app.ts`, so the dev server must use that as its base.
 */
const DEV_BASE = process.env.ESCALATED_VITE_DEV_BASE ?? '/static/escalated/'

export default defineConfig(({ command }) => ({
  // Production: relative URLs. django-vite writes the entry's <script>/<link> tags from
  // manifest.json through Django's staticfiles storage (so any STATIC_URL, CDN or
  // ManifestStaticFilesStorage works), and every lazily loaded chunk or asset is then
  // resolved relative to the module that imports it (import.meta.url), never to a
  // hard-coded "/static/...".
  base: command === 'serve' ? DEV_BASE : './',
  plugins: [vue(), tailwindcss()],
  resolve: {
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
  },
  server: {
    port: 5173,
    strictPort: true,
    origin: 'http://localhost:5173',
    cors: true,
  },
  build: {
    outDir: '../static/escalated',
    emptyOutDir: true,
    // django-vite 3.2 reads <outDir>/manifest.json (Vite's default is .vite/manifest.json).
    manifest: 'manifest.json',
    target: 'es2022',
    sourcemap: false,
    assetsDir: 'assets',
    rolldownOptions: {
      input: { app: fileURLToPath(new URL('./src/app.ts', import.meta.url)) },
      output: {
        codeSplitting: {
          // Everything the entry needs at start-up (Vue, Inertia, layouts) lives in one
          // shared chunk, so no lazily loaded page chunk ever imports the entry file
          // itself: under ManifestStaticFilesStorage the entry is served by its
          // Django-hashed name and importing it again by its plain name would load a
          // second copy of Vue.
          groups: [
            {
              name: 'core',
              tags: ['$initial'],
              test: (id: string) => !id.endsWith('/src/app.ts'),
            },
          ],
        },
      },
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.spec.ts'],
    restoreMocks: true,
    setupFiles: ['src/test/setup.ts'],
  },
}))
