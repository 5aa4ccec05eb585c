import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { decodeSafetensors, encodeSafetensors, encodeWeights, lenet5, predict, setBackend, type LayerModel } from '@stridenet/core';
import { createCpuBackend } from '@stridenet/cpu-js';
import { EXIT, fileSystemErrorMessage } from './errors.js';
import { MAX_THREADS } from './config.js';

// The CLI is spawned as a user would run it (see cli.test.ts).
const bin = fileURLToPath(new URL('./bin.ts', import.meta.url));
const cwd = fileURLToPath(new URL('..', import.meta.url));
const nodeArgs = ['--conditions=@stridenet/source', '--import', 'tsx'];
let work: string;

function runCli(args: string[]): { code: number; stdout: string; stderr: string; seconds: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [...nodeArgs, bin, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, STRIDENET_RECOMMENDATION: join(work, 'no-recommendation.json') },
    timeout: 120_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, seconds: (performance.now() - t0) / 1000 };
}

const CLASS_NAMES = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
const STATS = { mean: [0.7], std: [0.05] };
let model: LayerModel;
let weights: string;
let image: string;
let pixels: Float32Array;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'stridenet-hostile-'));
  await setBackend(await createCpuBackend());
  model = lenet5({ seed: 4 });
  // A weights file on its own, as if copied out of its run directory: everything predict needs is inside.
  weights = join(work, 'copied.safetensors');
  const run = { model: 'lenet5', dataset: 'bars', normalization: STATS, classNames: CLASS_NAMES, inputShape: [1, 28, 28] };
  writeFileSync(weights, await encodeWeights(model, { run: JSON.stringify(run) }));
  const png = new PNG({ width: 28, height: 28 });
  pixels = new Float32Array(784);
  for (let i = 0; i < 784; i++) {
    const v = (i * 37) % 256;
    png.data.set([v, v, v, 255], i * 4);
    pixels[i] = v / 255;
  }
  image = join(work, 'in.png');
  writeFileSync(image, PNG.sync.write(png));
});

afterAll(() => {
  model.dispose();
  rmSync(work, { recursive: true, force: true });
});

describe('predict uses the weights file itself', () => {
  it("applies the file's normalization and class names, wherever the file sits", async () => {
    const r = runCli(['predict', weights, image, '--backend', 'cpu-js', '--top-k', '1', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(EXIT.ok);
    const [line] = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { top: { class: number; name: string; probability: number }[] });
    const normalized = pixels.map((v) => (v - STATS.mean[0]!) / STATS.std[0]!);
    const want = await predict(model, normalized, { topK: 1 });
    expect(line!.top[0]!.class).toBe(want.topK!.indices[0]);
    expect(line!.top[0]!.name).toBe(CLASS_NAMES[want.topK!.indices[0]!]);
    expect(line!.top[0]!.probability).toBeCloseTo(want.topK!.values[0]!, 5);
  });

  it('a weights file without that metadata is an error saying what is missing and how to fix it', async () => {
    const bare = join(work, 'bare.safetensors');
    writeFileSync(bare, await encodeWeights(model));
    const r = runCli(['predict', bare, image, '--backend', 'cpu-js']);
    expect(r.code).toBe(EXIT.runtime);
    expect(r.stderr).toContain(`${bare}: lacks what predict and eval need in its 'run' metadata: normalization (per-channel mean and std); classNames.`);
    expect(r.stderr).toContain('saveWeightsFile(path, model, { run: JSON.stringify({ normalization: { mean, std }, classNames, inputShape }) })');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('hostile files', () => {
  it('a 248 KB file claiming Flatten -> Dense(640000) -> Dense(10) is refused in seconds by info and predict', () => {
    const arch = { type: 'Sequential', name: 'm', inputShape: [1, 28, 28], layers: [{ type: 'Flatten' }, { type: 'Dense', units: 640000 }, { type: 'Dense', units: 10 }] };
    const big = join(work, 'big.safetensors');
    writeFileSync(big, encodeSafetensors([{ name: 'dense_1.weight', shape: [62000], data: new Float32Array(62000) }], { format: 'stridenet.weights', architecture: JSON.stringify(arch) }));
    for (const args of [['info', big], ['predict', big, image, '--backend', 'cpu-js']]) {
      const r = runCli(args);
      expect(r.code).toBe(EXIT.runtime);
      expect(r.stderr).toBe(`stridenet: ${big}: architecture: parameter count is 508800010 but expected at most 268435456 (maxParameters; raise it to load a model this large)\n`);
      expect(r.seconds).toBeLessThan(20);
    }
  });

  it('NaN weights are refused by eval and predict unless --allow-non-finite', async () => {
    const st = decodeSafetensors(await encodeWeights(model, { run: JSON.stringify({ normalization: STATS, classNames: CLASS_NAMES }) }));
    const tensors = [...st.tensors.values()].map((e) => ({ name: e.name, shape: e.shape, data: new Float32Array(e.bytes.slice().buffer) }));
    tensors.find((t) => t.name === 'fc1.weight')!.data.fill(NaN, 0, 7);
    const nan = join(work, 'nan.safetensors');
    writeFileSync(nan, encodeSafetensors(tensors, st.metadata));
    const refused = runCli(['predict', nan, image, '--backend', 'cpu-js']);
    expect(refused.code).toBe(EXIT.runtime);
    expect(refused.stderr).toContain(`${nan}: weights are not finite (a diverged run?): tensor 'fc1.weight' has 7 of 48000 values NaN or infinite`);
    const allowed = runCli(['predict', nan, image, '--backend', 'cpu-js', '--allow-non-finite', '--json']);
    expect(allowed.stderr).toBe('');
    expect(allowed.code).toBe(EXIT.ok);
  });
});

describe('predict and eval input validation', () => {
  it('bad --limit, --top-k and --batch-size values are usage errors (exit 2)', () => {
    const limit = runCli(['predict', weights, image, '--limit', 'abc']);
    expect(limit.code).toBe(EXIT.usage);
    expect(limit.stderr).toBe("stridenet: --limit is 'abc' but expected a positive integer\n");
    expect(runCli(['predict', weights, image, '--top-k', '0']).code).toBe(EXIT.usage);
    const batch = runCli(['eval', weights, '--batch-size', '-3']);
    expect(batch.code).toBe(EXIT.usage);
    expect(batch.stderr).toBe("stridenet: --batch-size is '-3' but expected a positive integer\n");
    expect(runCli(['eval', weights, '--batch-size', '2.5']).code).toBe(EXIT.usage);
  });

  it('a directory or an endless device as input is refused before reading', () => {
    const dir = join(work, 'images');
    mkdirSync(dir);
    const d = runCli(['predict', weights, dir]);
    expect(d.code).toBe(EXIT.usage);
    expect(d.stderr).toBe(`stridenet: input '${dir}' is a directory; give image files (PNG/JPEG) or an IDX/CIFAR file\n`);
    const zero = runCli(['predict', weights, '/dev/zero', '--format', 'cifar10']);
    expect(zero.code).toBe(EXIT.usage);
    expect(zero.stderr).toContain("input '/dev/zero' is not a regular file");
    expect(zero.seconds).toBeLessThan(20);
  });
});

describe('config and architecture files', () => {
  it('a device or a directory is refused before reading, a model file of any kind is read only if regular', () => {
    const config = runCli(['train', '--config', '/dev/zero']);
    expect(config.code).toBe(EXIT.usage);
    expect(config.stderr).toBe("stridenet: --config: '/dev/zero' is not a regular file (a device, pipe or socket?)\n");
    expect(config.seconds).toBeLessThan(20);
    const dir = join(work, 'arch.json');
    mkdirSync(dir);
    const info = runCli(['info', dir]);
    expect(info.code).toBe(EXIT.usage);
    expect(info.stderr).toBe(`stridenet: info: '${dir}' is a directory, expected a file\n`);
    const device = runCli(['info', '/dev/zero']);
    expect(device.code).toBe(EXIT.runtime);
    expect(device.stderr).toBe('stridenet: /dev/zero: is not a regular file (a device, pipe or socket?), expected a .safetensors file\n');
  });
});

describe('--threads', () => {
  it(`is bounded by ${MAX_THREADS}, checked before any backend starts`, () => {
    for (const args of [['train', '--threads', '100000'], ['eval', weights, '--threads', '300'], ['predict', weights, image, '--threads', '0'], ['backends', '--threads', '257']]) {
      const r = runCli(args);
      expect(r.code, args.join(' ')).toBe(EXIT.usage);
      expect(r.stderr).toMatch(new RegExp(`^stridenet: --threads is '\\d+' but expected an integer from 1 to ${MAX_THREADS}\\n$`));
      expect(r.seconds).toBeLessThan(20);
    }
  });

  it('listing backends starts each with one thread whatever --threads says', () => {
    const r = runCli(['backends', '--threads', '200', '--json']);
    expect(r.code).toBe(EXIT.ok);
    const list = JSON.parse(r.stdout) as { name: string; usable: boolean; info?: { threads?: number } }[];
    for (const b of list.filter((x) => x.usable && x.info?.threads !== undefined)) expect(b.info!.threads, b.name).toBe(1);
  });
});

describe('operating-system errors', () => {
  it('are one line naming the operation and the path, exit 74, no stack', () => {
    const file = join(work, 'plain-file');
    writeFileSync(file, 'x');
    const r = runCli(['train', '--out', file, '--name', 'run', '--dataset', 'fashion-mnist-small', '--backend', 'cpu-js', '--max-steps', '1']);
    expect(r.code).toBe(EXIT.filesystem);
    expect(r.stderr).toMatch(new RegExp(`^stridenet: cannot create directory '${file}/run[^']*': a component of the path is not a directory \\(ENOTDIR\\)\\n$`));
  });

  it('maps ENOSPC, EACCES, EROFS, EISDIR and ENOENT, also when wrapped as a cause', () => {
    let enospc: unknown;
    try {
      writeFileSync('/dev/full', 'x');
    } catch (e) {
      enospc = e;
    }
    // A write on an open descriptor names no path (writeFileAtomic adds the one it was writing).
    expect(fileSystemErrorMessage(enospc)).toBe('cannot write: no space left on the device (ENOSPC)');
    expect(fileSystemErrorMessage(Object.assign(enospc as Error, { path: '/runs/r/latest.safetensors' }))).toBe(
      "cannot write '/runs/r/latest.safetensors': no space left on the device (ENOSPC)",
    );
    const fake = (code: string, syscall: string, path: string) => Object.assign(new Error(code), { code, syscall, path });
    expect(fileSystemErrorMessage(fake('EACCES', 'open', '/r/x'))).toBe("cannot open '/r/x': permission denied (EACCES)");
    expect(fileSystemErrorMessage(fake('EROFS', 'mkdir', '/ro/run'))).toBe("cannot create directory '/ro/run': read-only file system (EROFS)");
    expect(fileSystemErrorMessage(fake('EISDIR', 'read', '/d'))).toBe("cannot read '/d': it is a directory (EISDIR)");
    expect(fileSystemErrorMessage(new Error('wrapped', { cause: fake('ENOENT', 'rename', '/a') }))).toBe("cannot rename '/a': no such file or directory (ENOENT)");
    expect(fileSystemErrorMessage(new Error('plain'))).toBeUndefined();
  });
});
