import boundaries from 'eslint-plugin-boundaries'
import reactHooks from 'eslint-plugin-react-hooks'
import tseslint from 'typescript-eslint'

// Server-only code (database, payment and mail SDKs, native image code) must never be bundled for the browser:
// outside *.server.ts files, db/, tests, scripts and the server, importing it is an error.
const serverOnly = {
  paths: [
    { name: 'better-sqlite3', message: 'Import the database only from *.server.ts files.' },
    { name: 'stripe', message: 'Import Stripe only from *.server.ts files.' },
    { name: 'resend', message: 'Import Resend only from *.server.ts files.' },
    { name: 'sharp', message: 'Import sharp (native image code) only from *.server.ts files.' },
  ],
  patterns: [
    { regex: '^drizzle-orm(/|$)', message: 'Import Drizzle only from *.server.ts files.' },
    { regex: '^(#db/|(\\.\\.?/)+db/)', message: 'Import db/ only from *.server.ts files.' },
  ],
}

// The layers, top to bottom: a folder imports only the layers below it (and its own). See docs/decisions/015-layers-and-transactions.md.
//   routes, server → workflows → models → db; utils (leaf helpers) below everything; components and emails are views.
const layers = [
  { type: 'routes', pattern: ['app/routes/**', 'app/root.tsx', 'app/entry.server.tsx', 'app/entry.client.tsx'] },
  { type: 'server', pattern: ['server/**', 'app/load-context.ts'] },
  { type: 'workflows', pattern: ['app/workflows/**'] },
  { type: 'models', pattern: ['app/models/**'] },
  { type: 'db', pattern: ['db/**'] },
  { type: 'components', pattern: ['app/components/**'] },
  { type: 'emails', pattern: ['emails/**'] },
  { type: 'utils', pattern: ['app/utils/**', 'app/locales/**', 'app/i18n-resources.ts', 'app/styles/**'] },
  { type: 'stand-ins', pattern: ['stand-ins/**'] },
].map((layer) => ({ ...layer, partialMatch: false }))

const mayImport = {
  routes: ['routes', 'workflows', 'models', 'components', 'utils'],
  // The boot starts the Stripe stand-in in demo mode.
  server: ['server', 'workflows', 'models', 'db', 'utils', 'stand-ins'],
  workflows: ['workflows', 'models', 'db', 'emails', 'utils'],
  models: ['models', 'db', 'utils'],
  db: ['db', 'utils'],
  components: ['components', 'utils'],
  emails: ['emails', 'utils'],
  utils: ['utils'],
  'stand-ins': ['stand-ins'],
}

export default tseslint.config(
  { ignores: ['build/', 'node_modules/', 'data/', 'db/migrations/', 'tests/e2e/screenshots/', '.cache/'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    files: ['app/**/*.{ts,tsx}', 'emails/**/*.{ts,tsx}'],
    ignores: ['app/**/*.server.ts', 'app/**/*.server.tsx'],
    rules: { 'no-restricted-imports': ['error', serverOnly] },
  },
  {
    files: ['app/**/*.{ts,tsx}', 'server/**/*.ts', 'db/**/*.ts', 'emails/**/*.{ts,tsx}', 'stand-ins/**/*.ts'],
    plugins: { boundaries },
    settings: {
      'boundaries/elements': layers,
      'boundaries/include': ['app/**', 'server/**', 'db/**', 'emails/**', 'stand-ins/**'],
      'import/resolver': { typescript: { alwaysTryTypes: true } },
    },
    rules: {
      'boundaries/dependencies': [
        'warn',
        {
          default: 'disallow',
          message: 'A {{from.type}} file may not import from {{to.type}}: layers import only downwards (see docs/decisions/015-layers-and-transactions.md).',
          policies: Object.entries(mayImport).map(([from, to]) => ({
            from: { element: { type: from } },
            allow: { to: { element: { types: { anyOf: to } } } },
          })),
        },
      ],
    },
  },
)
