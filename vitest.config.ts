import { defineConfig } from 'vitest/config';

// Unit specs live beside the code (*.spec.ts) and need nothing running.
// Integration tests (test/**/*.test.ts) use the real local MariaDB and Redis; suites that must
// hold on both backends say so themselves (describe.each over the backends).
// The end-to-end suite through the gateway (packages/testing/test) runs twice, once per backend.
const e2e = (backend: 'servers' | 'embedded') => ({
  extends: true as const,
  test: {
    name: `e2e-${backend}`,
    include: ['packages/testing/test/**/*.test.ts'],
    env: { TEST_BACKEND: backend },
    // The embedded backend needs no server.
    globalSetup: backend === 'servers' ? ['packages/kit/src/testing/global-setup.ts'] : [],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Each file starts its own graph (its own databases, Redis prefix or data folder): two at once.
    fileParallelism: true,
    maxWorkers: 2,
    // A worker keeps the modules it loaded for its next file: importing the whole graph again
    // per file was a third of the suite's time. Files share no state but what they start.
    isolate: false,
    // Projects with their own worker counts run as groups, one after another.
    sequence: { groupOrder: backend === 'servers' ? 2 : 3 },
  },
});

export default defineConfig({
  resolve: {
    // Node (and so tsx and production) loads graphql's CommonJS build; Vite would pick its ESM
    // build for our imports while Apollo requires the CommonJS one, and graphql refuses schema
    // objects from "another realm". One build for everything, as in production.
    alias: { graphql: 'graphql/index.js' },
  },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['{packages,services,gateway,scripts,clients}/**/*.spec.ts'],
          exclude: ['**/node_modules/**', '**/dist/**'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['{packages,services,gateway,scripts,clients}/**/test/**/*.test.ts'],
          exclude: ['packages/testing/test/**', '**/node_modules/**'],
          globalSetup: ['packages/kit/src/testing/global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
          // Each file has its own databases, Redis prefix or data folder: two run at once.
          fileParallelism: true,
          maxWorkers: 2,
          isolate: false,
          sequence: { groupOrder: 1 },
        },
      },
      e2e('servers'),
      e2e('embedded'),
    ],
  },
});
