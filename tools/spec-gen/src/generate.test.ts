// Adding a kernel end to end on a temporary copy of the checkout: one spec entry, the generator, then
// one kernel file per backend; the test pins exactly which files each step changes.
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from './generate.js';
import { SPEC_FILE } from './spec.js';
import { asKernelExports } from './targets.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** What the generator reads and writes, copied from the repository. */
const COPIED = [
  'packages/core/src/spec',
  'packages/cpu-js/src/kernels',
  'packages/wasm/src/kernels',
  'packages/wasm/src/exports.ts',
  'packages/wasm/assembly',
  'packages/webgpu/src/kernels',
  'packages/webgpu/src/shaders',
  'packages/native/src/kernels',
  'packages/native/src/native/kernels',
  'packages/native/src/native/generated',
];

/** The generated files a new kernel changes (enums and plan encodings did not change). */
const GENERATED_FOR_A_KERNEL = [
  'packages/cpu-js/src/kernels/index.ts',
  'packages/native/src/kernels/index.ts',
  'packages/native/src/native/generated/kernels.gypi',
  'packages/native/src/native/generated/spec.h',
  'packages/wasm/assembly/index.ts',
  'packages/wasm/src/exports.ts',
  'packages/wasm/src/kernels/index.ts',
  'packages/webgpu/src/kernels/index.ts',
];

/** One hand-written file per backend (wasm and native: the TypeScript call and the compiled kernel; webgpu: call and shader). */
const KERNEL_FILES: Record<string, string> = {
  'packages/cpu-js/src/kernels/noise-gate2d.ts': "export const NoiseGate2D = ({ x }: { x: Float32Array }) => x.slice();\n",
  'packages/wasm/src/kernels/noise-gate2d.ts': 'export const noiseGate2d = () => undefined;\n',
  'packages/wasm/assembly/kernels/noise-gate2d.ts':
    'export function noiseGate2d(frame: usize, u0: i32, u1: i32, scratch: usize): void {}\n' +
    'export function noiseGate2dPack(frame: usize, u0: i32, u1: i32, scratch: usize): void {}\n',
  'packages/webgpu/src/kernels/noise-gate2d.ts': 'export const NoiseGate2D = () => undefined;\n',
  'packages/webgpu/src/shaders/noise-gate2d.wgsl': '@compute @workgroup_size(1) fn main() {}\n',
  'packages/native/src/kernels/noise-gate2d.ts': 'export const NoiseGate2D = () => undefined;\n',
  'packages/native/src/native/kernels/noise-gate2d.cc': 'Prepared prepareNoiseGate2D(const Args& a) { return {}; }\n',
};

let root: string;

function snapshot(): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.set(relative(root, path), createHash('sha256').update(readFileSync(path)).digest('hex'));
    }
  };
  walk(root);
  return out;
}

function changedSince(before: Map<string, string>): string[] {
  const after = snapshot();
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys].filter((k) => before.get(k) !== after.get(k)).sort();
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'spec-gen-'));
  for (const p of COPIED) cpSync(join(repo, p), join(root, p), { recursive: true });
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('spec-gen on a copy of the repository', () => {
  it('finds the committed generated files up to date and every kernel file present', async () => {
    const before = snapshot();
    const report = await generate(root, true);
    expect(report.changed).toEqual([]);
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(changedSince(before)).toEqual([]);
  });

  it('adds a kernel: one spec entry, the generated files, then one kernel file per backend', async () => {
    const start = snapshot();
    const specPath = join(root, SPEC_FILE);
    const spec = readFileSync(specPath, 'utf8');
    const entry = "  NoiseGate2D: { doc: 'Test kernel.', inputs: ['x'], plan: 'pool2d', attrs: { threshold: 'f32' }, outputs: ['y'] },\n";
    const edited = spec.replace('} as const satisfies Readonly<Record<string, KernelSpec>>);', `${entry}} as const satisfies Readonly<Record<string, KernelSpec>>);`);
    expect(edited).not.toBe(spec);
    writeFileSync(specPath, edited);

    // Check mode: drift in exactly the generated files, and the kernel files named one per line.
    const checked = await generate(root, true);
    expect(checked.ok).toBe(false);
    expect([...checked.changed].sort()).toEqual(GENERATED_FOR_A_KERNEL);
    expect(checked.problems).toEqual(Object.keys(KERNEL_FILES).map((f) => expect.stringContaining(`NoiseGate2D: missing ${f}`)));
    expect(checked.problems[6]).toBe(
      'NoiseGate2D: missing packages/native/src/native/kernels/noise-gate2d.cc (Prepared prepareNoiseGate2D(const Args& a))',
    );
    expect(changedSince(start)).toEqual([SPEC_FILE]);

    // Write mode: the generated files change, nothing else; the kernel files are still to write.
    const written = await generate(root, false);
    expect(written.problems).toHaveLength(7);
    expect(changedSince(start)).toEqual([SPEC_FILE, ...GENERATED_FOR_A_KERNEL].sort());
    const read = (f: string) => readFileSync(join(root, f), 'utf8');
    expect(read('packages/native/src/native/generated/spec.h')).toContain('{"NoiseGate2D", prepareNoiseGate2D},');
    expect(read('packages/native/src/native/generated/kernels.gypi')).toContain('"kernels/noise-gate2d.cc"');
    expect(read('packages/cpu-js/src/kernels/index.ts')).toContain("import { NoiseGate2D } from './noise-gate2d.js';");
    expect(read('packages/wasm/src/kernels/index.ts')).toContain('  NoiseGate2D: noiseGate2d,\n');

    // The kernel files: after them the check passes, and the wasm helper export is picked up.
    for (const [file, text] of Object.entries(KERNEL_FILES)) writeFileSync(join(root, file), text);
    expect((await generate(root, true)).changed).toEqual(['packages/wasm/assembly/index.ts', 'packages/wasm/src/exports.ts']);
    await generate(root, false);
    const final = await generate(root, true);
    expect(final).toEqual({ changed: [], problems: [], ok: true });
    expect(read('packages/wasm/assembly/index.ts')).toContain("export { noiseGate2d, noiseGate2dPack } from './kernels/noise-gate2d';");
    expect(changedSince(start)).toEqual([SPEC_FILE, ...GENERATED_FOR_A_KERNEL, ...Object.keys(KERNEL_FILES)].sort());
  });

  it('names a kernel file that lacks its export', async () => {
    const file = 'packages/native/src/native/kernels/noise-gate2d.cc';
    writeFileSync(join(root, file), 'Prepared prepareNoiseGate(const Args& a) { return {}; }\n');
    const report = await generate(root, true);
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([`NoiseGate2D: ${file} does not declare Prepared prepareNoiseGate2D(const Args& a)`]);
  });
});

describe('asKernelExports', () => {
  it('lists exported kernels with the frame signature only', () => {
    const src = [
      'export function conv2d(frame: usize, u0: i32, u1: i32, scratch: usize): void {}',
      'export function conv2dPackFilter(frame : usize,u0: i32, u1: i32, scratch: usize): void {}',
      'export function helper(x: i32): i32 { return x; }',
      'function hidden(frame: usize, u0: i32, u1: i32, scratch: usize): void {}',
    ].join('\n');
    expect(asKernelExports(src)).toEqual(['conv2d', 'conv2dPackFilter']);
  });
});
