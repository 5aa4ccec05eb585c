// Extracts the TypeScript / JavaScript code blocks of the READMEs users read and runs each as written
// in the consumer project (its node_modules, nothing from the workspace).
//
// A block opts out only with a marker on its fence line and a reason: ```ts no-run: <reason>
// Files a block names (a weights file, a model) that no earlier block of the same README writes are
// created before it runs by the setups in ./readme-setup.ts, never by editing the block.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exec } from './exec.js';
import { SETUPS } from './readme-setup.js';

const LANGS: Record<string, 'ts' | 'js'> = { ts: 'ts', typescript: 'ts', js: 'js', javascript: 'js' };

export interface CodeBlock {
  readme: string;
  line: number;
  lang: 'ts' | 'js';
  code: string;
  /** Set when the fence says `no-run: <reason>`. */
  skip?: string;
}

/** Fenced blocks (``` at any indent) whose language is ts/typescript/js/javascript. */
export function extractBlocks(readme: string, text: string): CodeBlock[] {
  const lines = text.split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,})(\S*)\s*(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const [, indent, fence, lang, info] = open as unknown as [string, string, string, string, string];
    let end = i + 1;
    while (end < lines.length && !new RegExp(`^\\s*${fence}\\s*$`).test(lines[end]!)) end++;
    if (end === lines.length) throw new Error(`${readme}:${i + 1}: code fence is never closed`);
    const kind = LANGS[lang.toLowerCase()];
    if (kind) {
      const code = lines.slice(i + 1, end).map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l)).join('\n') + '\n';
      const block: CodeBlock = { readme, line: i + 1, lang: kind, code };
      if (/\bno-run\b/.test(info)) {
        const reason = /\bno-run\s*:?\s*(.*)$/.exec(info)?.[1]?.trim();
        if (!reason) throw new Error(`${readme}:${i + 1}: 'no-run' needs a reason on the fence line (\`\`\`${lang} no-run: <why>)`);
        block.skip = reason;
      }
      blocks.push(block);
    }
    i = end;
  }
  return blocks;
}

export interface BlockResult {
  block: CodeBlock;
  ms: number;
  error?: string;
}

/**
 * Runs every block of one README in order in one directory under the consumer project (so a later block
 * reads what an earlier one wrote). TypeScript runs through the consumer project's own tsx.
 */
export function runBlocks(consumer: string, slug: string, blocks: CodeBlock[], log: (line: string) => void): BlockResult[] {
  const dir = join(consumer, 'readme-blocks', slug);
  mkdirSync(dir, { recursive: true });
  const results: BlockResult[] = [];
  for (const block of blocks) {
    const where = `${block.readme}:${block.line}`;
    if (block.skip) {
      log(`  skip ${where} (${block.skip})`);
      continue;
    }
    for (const setup of SETUPS) if (block.code.includes(setup.file)) setup.create(dir, consumer);
    const file = join(dir, `L${block.line}.${block.lang === 'ts' ? 'mts' : 'mjs'}`);
    writeFileSync(file, block.code);
    const runner = block.lang === 'ts' ? [join(consumer, 'node_modules', '.bin', 'tsx'), file] : [process.execPath, file];
    const t0 = performance.now();
    try {
      exec(runner[0]!, runner.slice(1), { cwd: dir, timeoutMs: 180_000 });
      results.push({ block, ms: performance.now() - t0 });
      log(`  ok   ${where} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    } catch (e) {
      results.push({ block, ms: performance.now() - t0, error: (e as Error).message });
      log(`  FAIL ${where}\n${(e as Error).message.replace(/^/gm, '       ')}`);
    }
  }
  return results;
}

export function readmeBlocks(path: string, label: string): CodeBlock[] {
  return extractBlocks(label, readFileSync(path, 'utf8'));
}
