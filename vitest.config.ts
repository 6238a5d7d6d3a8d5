import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'services/*/src/**/*.test.ts',
      'services/*/test/**/*.test.ts',
      'apps/*/test/**/*.test.{ts,tsx}',
      'test/**/*.test.ts',
      'deploy/test/**/*.test.ts',
      'deploy/aws/test/**/*.test.ts',
    ],
    globalSetup: ['./test/global-setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 180_000,
    teardownTimeout: 30_000,
    env: { NODE_ENV: 'test' },
  },
});
