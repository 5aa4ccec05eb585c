import { defineConfig } from 'tsup';

export default defineConfig({
  // onnx-child: the ONNX Runtime child process (runners/onnx.ts forks dist/onnx-child.js).
  entry: { index: 'src/index.ts', bin: 'src/bin.ts', 'onnx-child': 'src/runners/onnx-child.ts' },
  format: ['esm'],
  dts: { entry: 'src/index.ts' },
  sourcemap: true,
  clean: true,
  target: 'node20',
  // Backends and peers are optional: they stay external and are imported only when present. One
  // exception: tfjs-core's gradient registrations ship only as ESM with extensionless imports that
  // Node cannot resolve, so they are bundled (a lazily loaded chunk, see src/runners/tfjs.ts).
  external: [/^@stridenet\//, /^@tensorflow\/(?!tfjs-core\/dist\/register_all_gradients$)/, 'onnxruntime-node'],
  noExternal: [/^@tensorflow\/tfjs-core\/dist\/register_all_gradients$/],
});
