import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', node: 'src/io/node.ts' },
  // node.ts imports the main entry by name; keep it a reference so both share one engine.
  external: ['@stridenet/core'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
});
