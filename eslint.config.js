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
// Layers are file categories ('boundaries/files': patterns match whole paths from the repository root), so that
// single files such as app/root.tsx can belong to a layer; element patterns would only match folders.
const layers = [
  { category: 'routes', pattern: ['app/routes/**', 'app/root.tsx', 'app/entry.server.tsx', 'app/entry.client.tsx'] },
  { category: 'server', pattern: ['server/**', 'app/load-context.ts'] },
  { category: 'workflows', pattern: ['app/workflows/**'] },
  { category: 'models', pattern: ['app/models/**'] },
  { category: 'db', pattern: ['db/**'] },
  { category: 'components', pattern: ['app/components/**'] },
  { category: 'emails', pattern: ['emails/**'] },
  { category: 'utils', pattern: ['app/utils/**', 'app/locales/**', 'app/i18n-resources.ts', 'app/styles/**'] },
  { category: 'stand-ins', pattern: ['stand-ins/**'] },
]

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
    // app/load-context.ts belongs to the server layer: it names the database type the server hands to loaders.
    ignores: ['app/**/*.server.ts', 'app/**/*.server.tsx', 'app/load-context.ts'],
    rules: { 'no-restricted-imports': ['error', serverOnly] },
  },
  {
    // One door to the data: app code gets the database as a parameter (context.db in loaders and actions) and opens
    // transactions only with transaction() from db/transaction.server.ts. Only boot code (server/, scripts/) calls getDb().
    // Configuration is read once, by app/utils/config.server.ts (Zod); nothing else in app/, server/ or db/ reads process.env.
    files: ['app/**/*.{ts,tsx}'],
    ignores: ['app/utils/config.server.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'Read configuration from getEnv() (app/utils/config.server.ts): every variable is parsed and checked there, once.',
        },
        {
          selector: "ImportSpecifier[imported.name='getDb']",
          message: 'app/ code takes the database as a parameter (context.db in loaders and actions); only boot code calls getDb().',
        },
        {
          selector: "MemberExpression[property.name='$client']",
          message: 'No driver calls in app/: use the Drizzle query builder, or a typed helper in db/sql/ where Drizzle cannot express the SQL.',
        },
        {
          selector: "CallExpression[callee.type='MemberExpression'][callee.property.name='transaction']",
          message: 'Open transactions with transaction(handle, async (tx) => …) from db/transaction.server.ts.',
        },
      ],
    },
  },
  {
    files: ['server/**/*.ts', 'db/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'Read configuration from getEnv() (app/utils/config.server.ts): every variable is parsed and checked there, once.',
        },
      ],
    },
  },
  {
    files: ['app/**/*.{ts,tsx}', 'server/**/*.ts', 'db/**/*.ts', 'emails/**/*.{ts,tsx}', 'stand-ins/**/*.ts'],
    plugins: { boundaries },
    settings: {
      'boundaries/files': layers,
      'boundaries/include': ['app/**', 'server/**', 'db/**', 'emails/**', 'stand-ins/**'],
      'import/resolver': { typescript: { alwaysTryTypes: true } },
    },
    rules: {
      'boundaries/dependencies': [
        'error',
        {
          default: 'disallow',
          message: 'A {{from.file.categories.[0]}} file may not import from {{to.file.categories.[0]}}: layers import only downwards (see docs/decisions/015-layers-and-transactions.md).',
          policies: Object.entries(mayImport).map(([from, to]) => ({
            from: { file: { categories: from } },
            allow: { to: { file: { categories: { anyOf: to } } } },
          })),
        },
      ],
    },
  },
)
