import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { extractBlocks, runBlocks } from './readme-blocks.js';

const fence = '```';

describe('extractBlocks', () => {
  it('takes ts/typescript/js/javascript blocks at any indent and leaves the others', () => {
    const md = [
      '# x',
      `${fence}sh`, 'npm i x', fence,
      `${fence}ts`, "import { a } from 'a';", 'a();', fence,
      '- item:', `  ${fence}javascript`, '  console.log(1);', `  ${fence}`,
      `${fence}TypeScript`, 'let y = 1;', fence,
      fence, 'plain', fence,
    ].join('\n');
    const blocks = extractBlocks('R.md', md);
    expect(blocks.map((b) => [b.line, b.lang, b.code])).toEqual([
      [5, 'ts', "import { a } from 'a';\na();\n"],
      [10, 'js', 'console.log(1);\n'],
      [13, 'ts', 'let y = 1;\n'],
    ]);
  });

  it('honours no-run only with a reason', () => {
    const [b] = extractBlocks('R.md', `${fence}ts no-run: browser only\nx;\n${fence}\n`);
    expect(b!.skip).toBe('browser only');
    expect(() => extractBlocks('R.md', `${fence}ts no-run\nx;\n${fence}\n`)).toThrow("R.md:1: 'no-run' needs a reason");
  });

  it('refuses a fence that is never closed', () => {
    expect(() => extractBlocks('R.md', `text\n${fence}ts\nx;\n`)).toThrow('R.md:2: code fence is never closed');
  });
});

describe('runBlocks', () => {
  it('reports a block that throws as failed and one that runs as ok', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stridenet-blocks-test-'));
    try {
      // The runner uses the consumer project's tsx: point it at the workspace's for this test.
      mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true });
      const tsx = join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist', 'cli.mjs');
      symlinkSync(tsx, join(dir, 'node_modules', '.bin', 'tsx'));
      const blocks = extractBlocks('R.md', [`${fence}ts`, 'const n: number = 2;', 'if (n !== 2) throw new Error();', fence, `${fence}js`, "throw new Error('broken snippet');", fence].join('\n'));
      const lines: string[] = [];
      const results = runBlocks(dir, 'r', blocks, (l) => lines.push(l));
      expect(results.map((r) => r.error ?? 'ok')[0]).toBe('ok');
      expect(results[1]!.error).toContain('broken snippet');
      expect(lines[1]).toMatch(/^ {2}FAIL R\.md:5/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
