// The fast inner loop (`npm run test:unit`): every test that runs the servers
// in-process, without a build of dist/ and without Chromium. `npm test` runs
// these and the rest (end to end, interop, browser, the compiled launcher).
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: [
      'test/browser/**',
      'test/e2e/**',
      'test/interop/**',
      'test/deploy/**',
      // These start the compiled bundles in child processes.
      'test/cli.test.ts',
      'test/launcher.test.ts',
      'test/start.test.ts',
      'test/graceful-shutdown.test.ts',
      'test/auth-server/store/sqlite-store.test.ts',
    ],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    maxWorkers: 2,
  },
})
