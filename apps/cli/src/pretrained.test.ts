import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listPretrained } from '@stridenet/weights';
import { EXIT } from './errors.js';
import { jsonLines, runCliIn } from './cli.testutil.js';

// The pretrained weights of @stridenet/weights through the CLI (spawned): eval on the real Fashion-MNIST
// test set must give exactly the accuracy the package's README states.
const FASHION = '/usr/share/datasets/fashion-mnist';
const small = join(import.meta.dirname, '../../../packages/datasets/data/fashion-mnist-small');
let work: string;
const runCli = (args: string[]) => runCliIn(work, args);

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'stridenet-pretrained-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(!existsSync(join(FASHION, 't10k-images-idx3-ubyte.gz')))('eval pretrained:<model>/fashion-mnist on the 10,000 test images', () => {
  const cases = listPretrained().flatMap((m) => [
    { m, backend: 'auto' },
    // The reference backend too where it is quick: the figure does not depend on the backend.
    ...(m.model === 'lenet5' ? [{ m, backend: 'cpu-js' }] : []),
  ]);
  it.each(cases)('$m.model on $backend reaches the stated accuracy exactly', ({ m, backend }) => {
    const r = runCli(['eval', `pretrained:${m.model}/${m.dataset}`, '--backend', backend, '--json']);
    expect(r.code, r.stderr).toBe(EXIT.ok);
    const ev = JSON.parse(r.stdout.trim()) as { dataset: string; split: string; count: number; accuracy: number };
    expect(ev).toMatchObject({ dataset: 'fashion-mnist', split: 'test', count: 10_000 });
    expect(ev.accuracy).toBe(m.accuracy);
  }, 600_000);
});

describe('predict and errors with pretrained:<model>/<dataset>', () => {
  it('predict reads the embedded weights, normalization and class names', () => {
    const r = runCli(['predict', 'pretrained:lenet5/fashion-mnist', join(small, 't10k-images-idx3-ubyte.gz'), '--limit', '3', '--backend', 'cpu-js', '--json']);
    expect(r.code, r.stderr).toBe(EXIT.ok);
    const top = jsonLines(r.stdout).map((l) => (l.top as { name: string }[])[0]!.name);
    // The first three Fashion-MNIST test images (labels 9, 2, 1).
    expect(top).toEqual(['Ankle boot', 'Pullover', 'Trouser']);
  });

  it('an unknown pretrained name is a usage error listing the ones that exist', () => {
    const r = runCli(['eval', 'pretrained:resnet18/imagenet', '--backend', 'cpu-js']);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toContain("'pretrained:resnet18/imagenet' is not a pretrained model; expected one of ");
    for (const m of listPretrained()) expect(r.stderr).toContain(`pretrained:${m.model}/${m.dataset}`);
  });
});
