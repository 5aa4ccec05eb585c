import { readdirSync } from 'node:fs';
import { defineConfig } from 'tsup';

// The weights modules (scripts/embed.mjs) are built once, as ESM, and stay separate files that both the
// ESM and the CommonJS entry load with import(): the data ships once and bundlers split it per model.
const weights = readdirSync('src/generated').filter((f) => /^weights-.*\.ts$/.test(f));

export default defineConfig([
  {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: false,
    target: 'es2022',
    esbuildPlugins: [
      {
        name: 'external-weights',
        setup(build) {
          // Imported from src/generated/catalog.ts; dist/index.* load them from dist/generated/.
          build.onResolve({ filter: /^\.\/weights-[\w-]+\.js$/ }, (args) => ({ path: `./generated/${args.path.slice(2)}`, external: true }));
        },
      },
    ],
  },
  ...(weights.length > 0
    ? [{ entry: weights.map((f) => `src/generated/${f}`), outDir: 'dist/generated', format: ['esm' as const], clean: false, target: 'es2022' }]
    : []),
]);
