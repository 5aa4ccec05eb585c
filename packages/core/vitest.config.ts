import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Core's tests run kernels on cpu-js from source, and train on datasets loaded by @stridenet/datasets.
// They are aliases, not dependencies: both packages depend on core, and a dependency back would make a cycle.
const alias = {
  '@stridenet/cpu-js': fileURLToPath(new URL('../cpu-js/src/index.ts', import.meta.url)),
  '@stridenet/datasets': fileURLToPath(new URL('../datasets/src/index.ts', import.meta.url)),
};

export default defineConfig({
  resolve: { conditions: ['@stridenet/source'], alias },
  ssr: { resolve: { conditions: ['@stridenet/source'] } },
  // Generous: CI runs two packages' suites at once on 2 vCPUs.
  test: { include: ['src/**/*.test.ts'], testTimeout: 60_000 },
});
