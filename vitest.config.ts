import { defineConfig } from 'vitest/config';

// Unit specs live beside the code (*.spec.ts) and need nothing running.
// Integration and end-to-end tests (test/**/*.test.ts) use the real local MariaDB and Redis.
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
          include: ['{packages,services,gateway,scripts}/**/*.spec.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['{packages,services,gateway}/**/test/**/*.test.ts', 'scripts/**/*.test.ts'],
          globalSetup: ['packages/kit/src/testing/global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
          // One MariaDB and one Redis: files run one after another to keep timings steady.
          fileParallelism: false,
        },
      },
    ],
  },
});
