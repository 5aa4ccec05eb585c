import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@stridenet/source'] },
  ssr: { resolve: { conditions: ['@stridenet/source'] } },
  // Generous: CI runs two packages' suites at once on 2 vCPUs.
  test: { include: ['src/**/*.test.ts'], testTimeout: 120_000 },
});
