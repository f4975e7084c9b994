// ESLint flat config: Vue recommended + TypeScript (type-aware rules off for speed);
// formatting is Prettier's job, so its conflicting rules are switched off.
import skipFormatting from '@vue/eslint-config-prettier/skip-formatting'
import { defineConfigWithVueTs, vueTsConfigs } from '@vue/eslint-config-typescript'
import pluginVue from 'eslint-plugin-vue'
import globals from 'globals'

export default defineConfigWithVueTs(
  {
    name: 'escalated/files',
    files: ['**/*.{ts,mts,vue,js}'],
  },
  {
    name: 'escalated/ignores',
    ignores: ['node_modules/**', 'dist/**', '../static/**'],
  },
  pluginVue.configs['flat/recommended'],
  vueTsConfigs.recommended,
  {
    name: 'escalated/rules',
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'vue/multi-word-component-names': 'off',
      'vue/require-default-prop': 'off',
      'vue/block-lang': ['error', { script: { lang: 'ts' } }],
      'vue/component-api-style': ['error', ['script-setup']],
      'vue/define-macros-order': [
        'error',
        { order: ['defineOptions', 'defineModel', 'defineProps', 'defineEmits', 'defineSlots'] },
      ],
      'vue/no-unused-refs': 'error',
      'vue/no-useless-v-bind': 'error',
      'vue/prefer-true-attribute-shorthand': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // Page props are the server's JSON (escalated/props.py): snake_case by contract.
    name: 'escalated/pages',
    files: ['src/pages/**/*.vue'],
    rules: { 'vue/prop-name-casing': 'off' },
  },
  {
    name: 'escalated/tests',
    files: ['src/**/*.spec.ts', 'src/test/**'],
    rules: { 'vue/one-component-per-file': 'off' },
  },
  {
    name: 'escalated/node-files',
    files: ['*.config.{js,ts}'],
    languageOptions: { globals: { ...globals.node } },
  },
  skipFormatting,
)
