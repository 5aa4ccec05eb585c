/**
 * Seeded bad-argument fuzz of the wasm kernel table. Each call takes a valid template call (test/
 * templates.ts) and breaks it in one way that no correct backend may accept: an input of the wrong
 * size, a forged, freed or foreign handle, a missing input, a bad size or attribute, a plan entry that
 * is negative, huge or past the end, a plan core made for a bigger tensor, or a malformed encoding.
 * Every such call must throw a StridenetError naming the kernel; every canary tensor (some of them in
 * blocks recycled from freed handles) must keep its values; one call in ten is the valid template,
 * which must still run.
 */
import { KERNEL_NAMES, StridenetError, type KernelName } from '@stridenet/core';
import type { WasmBackend, WasmHandle } from '../src/index.js';
import { BAD_ATTRS, TEMPLATES, type Template } from './templates.js';

/** mulberry32: a small seeded generator, so every run makes the same calls. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

type Inputs = Record<string, unknown>;
interface Call {
  kernel: KernelName;
  inputs: Inputs;
  attrs: Record<string, unknown>;
  what: string;
}

export interface FuzzReport {
  bad: number;
  good: number;
  /** Bad calls by mutation kind. */
  kinds: Record<string, number>;
  /** Bad calls that did not throw, or threw something untyped or unnamed. */
  failures: string[];
  /** Canary tensors whose values changed. */
  corrupted: string[];
}

const CANARY_SIZES = [1, 3, 4, 7, 19, 21, 24, 41, 60, 64, 100, 257, 1000, 4099];

export async function fuzzKernels(backend: WasmBackend, foreign: WasmBackend, calls: number, seed: number): Promise<FuzzReport> {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const values = (n: number) => Float32Array.from({ length: n }, () => rand() * 2 - 1);
  const up = (n: number) => backend.upload(values(n));
  const each = (t: Template, f: (n: number) => WasmHandle) =>
    Object.fromEntries(Object.entries(t.sizes).map(([k, n]) => [k, Array.isArray(n) ? n.map(f) : f(n)]));

  // Right-sized handles freed before the canaries are uploaded, so canaries reuse their blocks.
  const freed = Object.fromEntries(KERNEL_NAMES.map((k) => [k, each(TEMPLATES[k](1), up)]));
  for (const hs of Object.values(freed)) for (const h of Object.values(hs).flat()) backend.free(h as WasmHandle);
  const canaries = CANARY_SIZES.flatMap((n) => [n, n]).map((n) => ({ h: up(n), want: new Float32Array(0) as Float32Array<ArrayBufferLike> }));
  for (const c of canaries) c.want = backend.readSync!(c.h);
  const live = Object.fromEntries(KERNEL_NAMES.map((k) => [k, each(TEMPLATES[k](1), up)]));
  const alien = Object.fromEntries(KERNEL_NAMES.map((k) => [k, each(TEMPLATES[k](1), (n) => foreign.upload(new Float32Array(n)))]));

  const forged = (): unknown =>
    pick<() => unknown>([
      () => ({ ptr: 64, size: 20 }),
      () => Object.create(pick(canaries).h.constructor.prototype as object),
      () => 4096,
      () => null,
      () => ({ ...pick(canaries).h }),
      () => new Float32Array(20),
    ])();

  /** Replaces one input (or one element of a list input) by `f(expected size)`. */
  const swapInput = (c: Call, t: Template, f: (n: number) => unknown): void => {
    const name = pick(Object.keys(t.sizes));
    const n = t.sizes[name]!;
    if (Array.isArray(n)) {
      const i = Math.floor(rand() * n.length);
      c.inputs[name] = (c.inputs[name] as unknown[]).map((h, j) => (j === i ? f(n[i]!) : h));
    } else c.inputs[name] = f(n);
    c.what += ` ${name}`;
  };

  const mutateEncoded = (c: Call, f: (e: Int32Array) => unknown): void => {
    const plan = c.attrs.plan as { encoded: Int32Array };
    c.attrs.plan = { ...plan, encoded: f(Int32Array.from(plan.encoded)) };
  };

  const mutations: Record<string, ((c: Call, t: Template) => boolean)> = {
    wrongSize: (c, t) => {
      swapInput(c, t, (n) => pick(canaries.filter((x) => x.h.size !== n)).h);
      return true;
    },
    forgedHandle: (c, t) => (swapInput(c, t, forged), true),
    freedHandle: (c) => {
      const name = pick(Object.keys(freed[c.kernel]!));
      c.inputs[name] = freed[c.kernel]![name];
      c.what += ` ${name}`;
      return true;
    },
    foreignHandle: (c) => {
      const name = pick(Object.keys(alien[c.kernel]!));
      c.inputs[name] = alien[c.kernel]![name];
      c.what += ` ${name}`;
      return true;
    },
    missingInput: (c, t) => {
      // Optional inputs may go (BatchNormGrad's y is required by its template's relu).
      const required = Object.keys(t.sizes).filter((k) => !['bias', 'residual', 'runningMean', 'runningVar'].includes(k));
      delete c.inputs[pick(required)];
      return true;
    },
    badSize: (c) => {
      if (!('size' in c.attrs)) return false;
      const n = c.attrs.size as number;
      c.attrs.size = pick([n + 1 + Math.floor(rand() * 300), n - 1, -1, NaN, Infinity, 1.5, 2 ** 28, 2 ** 31, '20']);
      c.what += ` size=${String(c.attrs.size)}`;
      return true;
    },
    badAttr: (c) => {
      const table = BAD_ATTRS[c.kernel];
      if (!table) return false;
      const name = pick(Object.keys(table));
      c.attrs[name] = pick(table[name]!);
      c.what += ` ${name}=${String(c.attrs[name])}`;
      return true;
    },
    negativeEntry: (c) => {
      if (!('plan' in c.attrs)) return false;
      mutateEncoded(c, (e) => {
        const i = Math.floor(rand() * e.length);
        e[i] = pick([-1, -2, -(2 ** 31), -(2 ** 30)]);
        c.what += ` encoded[${i}]=${e[i]}`;
        return e;
      });
      return true;
    },
    hugeEntry: (c) => {
      if (!('plan' in c.attrs)) return false;
      mutateEncoded(c, (e) => {
        const i = Math.floor(rand() * e.length);
        // Pads of 65536 cells are a valid Pad plan, so Pad gets only sizes past the memory.
        const moderate = c.kernel === 'Pad' ? [] : [65536 + Math.floor(rand() * 1000)];
        e[i] = pick([2 ** 31 - 1, 2 ** 30, 2 ** 29 + 1, ...moderate]);
        c.what += ` encoded[${i}]=${e[i]}`;
        return e;
      });
      return true;
    },
    oversizePlan: (c) => {
      const big = TEMPLATES[c.kernel](2 + Math.floor(rand() * 3)).attrs;
      if ('plan' in big) c.attrs.plan = big.plan;
      else c.attrs.size = big.size;
      return true;
    },
    malformedPlan: (c) => {
      if (!('plan' in c.attrs)) return false;
      const how = pick(['short', 'long', 'float', 'array', 'null', 'noEncoded', 'attrsNull']);
      c.what += ` ${how}`;
      if (how === 'null') c.attrs.plan = null;
      else if (how === 'noEncoded') c.attrs.plan = { ...(c.attrs.plan as object), encoded: undefined };
      else if (how === 'attrsNull') c.attrs = null as never;
      else mutateEncoded(c, (e) => (how === 'short' ? e.subarray(0, e.length - 1) : how === 'long' ? Int32Array.from([...e, 0]) : how === 'float' ? Float32Array.from(e) : [...e]));
      return true;
    },
  };

  const report: FuzzReport = { bad: 0, good: 0, kinds: {}, failures: [], corrupted: [] };
  const kernels = backend.kernels as unknown as Record<KernelName, (i: Inputs, a: unknown) => unknown>;
  const freeOutputs = (out: unknown) => {
    for (const h of [out].flat()) if (h !== undefined) backend.free(h as WasmHandle);
  };
  for (let n = 0; n < calls; n++) {
    const kernel = pick(KERNEL_NAMES);
    const t = TEMPLATES[kernel](1);
    const c: Call = { kernel, inputs: { ...live[kernel] }, attrs: { ...t.attrs }, what: '' };
    if (rand() < 0.1) {
      freeOutputs(kernels[kernel](c.inputs, c.attrs));
      report.good += 1;
      continue;
    }
    let kind: string;
    do kind = pick(Object.keys(mutations));
    while (!mutations[kind]!(c, t));
    report.bad += 1;
    report.kinds[kind] = (report.kinds[kind] ?? 0) + 1;
    try {
      freeOutputs(kernels[kernel](c.inputs, c.attrs));
      report.failures.push(`#${n} ${kernel} ${kind}${c.what}: accepted`);
    } catch (e) {
      const named = e instanceof StridenetError && e.message.startsWith(`wasm ${kernel}: `);
      if (!named) report.failures.push(`#${n} ${kernel} ${kind}${c.what}: threw ${String(e)}`);
    }
  }
  for (const [i, c] of canaries.entries()) {
    const got = backend.readSync!(c.h);
    if (got.some((v, j) => !Object.is(v, c.want[j]))) report.corrupted.push(`canary ${i} (${c.h.size} floats)`);
  }
  return report;
}
