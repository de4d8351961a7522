import { defineConfig } from 'vitest/config';

// Unit specs live beside the code (*.spec.ts) and need nothing running.
// Integration and end-to-end tests (test/**/*.test.ts) use the real local MariaDB and Redis.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{packages,services,gateway,scripts}/**/*.spec.ts'],
        },
      },
      {
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
