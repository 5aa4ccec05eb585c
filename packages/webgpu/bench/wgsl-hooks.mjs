// Node module hooks for running the TypeScript sources directly (npx tsx bench/gpu-bench.ts):
// .wgsl files load as text modules (as tsup's 'text' loader does in the build) and workspace
// packages resolve to their src/ through the '@stridenet/source' export condition.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export async function resolve(specifier, context, next) {
  const conditions = [...(context.conditions ?? []), '@stridenet/source'];
  return next(specifier, { ...context, conditions });
}

export async function load(url, context, next) {
  if (url.endsWith('.wgsl')) {
    const text = await readFile(fileURLToPath(url), 'utf8');
    return { format: 'module', source: `export default ${JSON.stringify(text)};`, shortCircuit: true };
  }
  return next(url, context);
}
