import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@stridenet/source'] },
  ssr: { resolve: { conditions: ['@stridenet/source'] } },
  test: { include: ['src/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 120_000, fileParallelism: false },
});
