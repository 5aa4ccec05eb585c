import { readFile } from 'node:fs/promises';
import { defineConfig, type Plugin } from 'vitest/config';

/** Loads .wgsl files as text, as tsup's 'text' loader does for the build. */
function wgslText(): Plugin {
  return {
    name: 'stridenet-wgsl-text',
    enforce: 'pre',
    async load(id) {
      if (!id.endsWith('.wgsl')) return null;
      return `export default ${JSON.stringify(await readFile(id, 'utf8'))};`;
    },
  };
}

export default defineConfig({
  plugins: [wgslText()],
  resolve: { conditions: ['@stridenet/source'] },
  ssr: { resolve: { conditions: ['@stridenet/source'] } },
  test: {
    include: ['src/**/*.test.ts'],
    exclude: ['src/**/*.browser.test.ts'],
    // One GPU device per file; CPU renderers are slow.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
