import { defineConfig } from 'vitest/config';

// Unit specs live beside the code (src/**/*.spec.ts) and need nothing running.
// Integration and end-to-end tests (test/**/*.test.ts) use the real local MariaDB and Redis.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{packages,services,gateway}/**/src/**/*.spec.ts', 'gateway/src/**/*.spec.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['{packages,services}/**/test/**/*.test.ts', 'gateway/test/**/*.test.ts'],
          globalSetup: ['packages/kit/src/testing/global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
