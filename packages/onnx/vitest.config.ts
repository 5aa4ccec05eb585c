import { defineConfig } from 'vitest/config';
// The webgpu backend's own config loads its .wgsl sources as text (torch-import.test runs on webgpu too).
import webgpu from '../webgpu/vitest.config.js';

export default defineConfig({
  plugins: webgpu.plugins,
  resolve: { conditions: ['@stridenet/source'] },
  ssr: { resolve: { conditions: ['@stridenet/source'] } },
  // Generous: CI runs two packages' suites at once on 2 vCPUs.
  test: { include: ['src/**/*.test.ts'], testTimeout: 120_000 },
});
