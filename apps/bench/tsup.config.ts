import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/bin.ts'],
  format: ['esm'],
  dts: { entry: 'src/index.ts' },
  sourcemap: true,
  clean: true,
  target: 'node20',
  // Backends and peers are optional: they stay external and are imported only when present.
  external: [/^@stridenet\//, /^@tensorflow\//, 'onnxruntime-node'],
});
