import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  // Handles expose GPUBuffer, so the declarations pull in the WebGPU types for consumers.
  dts: { banner: '/// <reference types="@webgpu/types" />' },
  sourcemap: true,
  clean: true,
  target: 'es2022',
  // Shaders ship inside the bundle as strings.
  loader: { '.wgsl': 'text' },
  external: ['webgpu'],
});
