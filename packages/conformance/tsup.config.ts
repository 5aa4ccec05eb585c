import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // vitest must stay the consumer's own instance: describe/it register into the running test file.
  external: ['vitest', '@stridenet/core'],
});
