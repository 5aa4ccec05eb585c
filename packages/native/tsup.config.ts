import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // import.meta.url locates the package root (and the compiled addon) in the CJS build too.
  shims: true,
  external: ['node-gyp-build'],
});
