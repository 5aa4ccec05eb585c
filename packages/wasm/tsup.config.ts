import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  // @internal members (the handle's constructor, which names the raw runtime) stay out of the published
  // types, so a Node consumer on lib es2022 without `dom` compiles them (no WebAssembly namespace).
  dts: { compilerOptions: { stripInternal: true } },
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'neutral',
});
