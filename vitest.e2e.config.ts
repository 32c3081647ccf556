import { defineConfig } from 'vitest/config'
import tsconfigPaths from 'vite-tsconfig-paths'
import { TEST_DATA_KEY } from './tests/helpers/data-key.ts'

// Browser tests: Playwright (playwright-core) drives Debian's Chromium against the production build.
export default defineConfig({
  plugins: [tsconfigPaths()],
  test: {
    include: ['tests/e2e/**/*.test.ts'],
    // The run folder for what is made once per run (tests/helpers/templates.ts).
    globalSetup: ['tests/helpers/global-setup.ts'],
    // The servers' key, so every file can read what they sealed (not only those after one that set it).
    env: { VIGIL_DATA_KEY: TEST_DATA_KEY },
    pool: 'forks',
    poolOptions: { forks: { singleFork: true } },
    testTimeout: 60_000,
    hookTimeout: 90_000,
  },
})
