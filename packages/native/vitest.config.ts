import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@stridenet/source'] },
  ssr: { resolve: { conditions: ['@stridenet/source'] } },
  test: {
    include: ['src/**/*.test.ts'],
    globalSetup: ['./vitest.global-setup.ts'],
    // The addon is loaded once per worker; forks keep ASan's LD_PRELOAD in every process.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 300_000,
  },
});
