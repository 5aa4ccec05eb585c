import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@stridenet/source'] },
  ssr: { resolve: { conditions: ['@stridenet/source'] } },
  test: { include: ['src/**/*.test.ts'] },
});
