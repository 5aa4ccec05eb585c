import { fileURLToPath } from 'node:url';
import { defineConfig } from 'tsup';

export default defineConfig({
  // The float64 reference alone (no vitest) for backends' own kernel tests and browser pages.
  entry: { index: 'src/index.ts', reference: 'src/reference/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  shims: true,
  external: ['@stridenet/core'],
  // Resolved by the plugin below: external in ESM (describe/it must come from the consumer's own
  // vitest instance), a stub in CJS (vitest refuses require()).
  noExternal: ['vitest'],
  esbuildPlugins: [
    {
      name: 'vitest-stub-for-cjs',
      setup(build) {
        const cjs = build.initialOptions.format === 'cjs';
        const stub = fileURLToPath(new URL('./src/vitest-cjs-stub.ts', import.meta.url));
        build.onResolve({ filter: /^vitest$/ }, () => (cjs ? { path: stub } : { path: 'vitest', external: true }));
      },
    },
  ],
});
