import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Core's tests run kernels on cpu-js from source. It is an alias, not a dependency: cpu-js depends
// on core, and a package-level dependency back would make a cycle.
const alias = { '@stridenet/cpu-js': fileURLToPath(new URL('../cpu-js/src/index.ts', import.meta.url)) };

export default defineConfig({
  resolve: { conditions: ['@stridenet/source'], alias },
  ssr: { resolve: { conditions: ['@stridenet/source'] } },
  // Generous: CI runs two packages' suites at once on 2 vCPUs.
  test: { include: ['src/**/*.test.ts'], testTimeout: 60_000 },
});
