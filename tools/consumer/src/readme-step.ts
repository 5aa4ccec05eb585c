import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readmeBlocks, runBlocks, type BlockResult, type CodeBlock } from './readme-blocks.js';
import type { Packed } from './pack.js';

/** Every published package's README as installed (what npm shows), plus the repository's root README. */
export function readmeSources(consumer: string, root: string, packages: Pick<Packed, 'name'>[]): { slug: string; blocks: CodeBlock[] }[] {
  const sources = packages.map(({ name }) => {
    const path = join(consumer, 'node_modules', name, 'README.md');
    if (!existsSync(path)) throw new Error(`${name}: the installed package has no README.md (${path})`);
    return { slug: name.replace(/^@/, '').replace('/', '-'), blocks: readmeBlocks(path, `${name}/README.md`) };
  });
  return [{ slug: 'root', blocks: readmeBlocks(join(root, 'README.md'), 'README.md') }, ...sources];
}

export function runReadmeBlocks(consumer: string, root: string, packages: Pick<Packed, 'name'>[], log: (l: string) => void): void {
  const results: BlockResult[] = [];
  let skipped = 0;
  for (const { slug, blocks } of readmeSources(consumer, root, packages)) {
    skipped += blocks.filter((b) => b.skip).length;
    results.push(...runBlocks(consumer, slug, blocks, log));
  }
  const failed = results.filter((r) => r.error);
  log(`  ${results.length - failed.length} blocks ran, ${failed.length} failed, ${skipped} marked no-run`);
  if (failed.length) throw new Error(`README code blocks failed: ${failed.map((r) => `${r.block.readme}:${r.block.line}`).join(', ')}`);
}
