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
)
