/**
 * Plan checks: the assembly kernels index memory with the integers of `plan.encoded`, so before any
 * kernel runs its encoding is copied, each integer range-checked, every size it implies kept inside
 * the wasm32 memory, and then the plan is rebuilt by core's own planner from those integers and must
 * come out identical. The kernel then works from the rebuilt plan (whose fields and encoding agree by
 * construction), never from the caller's object, so a hand-made, tampered or stale plan cannot make a
 * kernel read or write outside its buffers. O(1) per call: plans have at most a few dozen integers.
 */
import {
  ArgumentError,
  MAX_RANK,
  StridenetError,
  planBroadcast,
  planConcat,
  planConv2d,
  planExpand,
  planMatMul,
  planPad,
  planPool2d,
  planReduce,
  planSlice,
  planTensorList,
  planTranspose,
  type BroadcastPlan,
  type ChannelPlan,
  type ConcatPlan,
  type Conv2dPlan,
  type ExpandPlan,
  type MatMulPlan,
  type PadPlan,
  type Pool2dPlan,
  type ReducePlan,
  type RowsPlan,
  type SlicePlan,
  type TensorListPlan,
  type TransposePlan,
} from '@stridenet/core';
import { MAX_FLOATS, attrsObject, brief, opName } from './attrs.js';

/** Reads one plan's encoding: a private copy plus named, range-checked integers. */
class Encoded {
  readonly v: Int32Array;
  constructor(
    readonly kernel: string,
    attrs: { plan: unknown },
    readonly names: readonly string[],
    /** Exact length, or [min, max]. */
    length: number | readonly [number, number],
  ) {
    const plan = attrsObject(kernel, attrs).plan as { encoded?: unknown } | null;
    if (plan === null || typeof plan !== 'object') throw new ArgumentError(opName(kernel), 'attrs.plan', brief(plan), 'a plan object from core');
    const enc = plan.encoded;
    const [min, max] = typeof length === 'number' ? [length, length] : length;
    if (!(enc instanceof Int32Array) || enc.length < min || enc.length > max) {
      throw new ArgumentError(opName(kernel), 'plan.encoded', brief(enc), `an Int32Array of ${min === max ? min : `${min} to ${max}`} entries`);
    }
    // The constructor copies a typed array's own contents (no user code runs), and only the copy is read.
    this.v = new Int32Array(enc);
  }

  name(i: number): string {
    return `plan.encoded[${i}] (${this.names[Math.min(i, this.names.length - 1)]})`;
  }

  /** Entry i, which must be at least `lo` (and at most `hi`). */
  at(i: number, lo: number, hi = 2 ** 31 - 1): number {
    const x = this.v[i]!;
    if (x < lo || x > hi) throw new ArgumentError(opName(this.kernel), this.name(i), x, hi === 2 ** 31 - 1 ? `>= ${lo}` : `${lo} to ${hi}`);
    return x;
  }

  /** Entries [from, from + n), each at least `lo`. */
  run(from: number, n: number, lo: number): number[] {
    const out: number[] = [];
    for (let i = from; i < from + n; i++) out.push(this.at(i, lo));
    return out;
  }

  /** Product of dims; past MAX_FLOATS the plan cannot describe a buffer of this memory. */
  size(what: string, dims: readonly number[]): number {
    let n = 1;
    for (const d of dims) {
      n *= d;
      if (n > MAX_FLOATS) {
        throw new ArgumentError(opName(this.kernel), `plan ${what} size`, `[${dims.join(',')}]`, `at most ${MAX_FLOATS} floats (the 2 GiB wasm32 memory)`);
      }
    }
    return n;
  }

  /** Core's plan for these integers; its encoding must equal the one given, entry by entry. */
  same<P extends { readonly encoded: Int32Array }>(planner: string, build: () => P): P {
    let plan: P;
    try {
      plan = build();
    } catch (e) {
      if (!(e instanceof StridenetError)) throw e;
      throw new ArgumentError(opName(this.kernel), 'plan', `[${this.v.join(',')}]`, `a plan core's ${planner} can make (${e.message})`);
    }
    const want = plan.encoded;
    for (let i = 0; i < Math.max(want.length, this.v.length); i++) {
      if (want[i] !== this.v[i]) {
        throw new ArgumentError(opName(this.kernel), this.name(i), this.v[i], `${want[i]}, what core's ${planner} gives for the rest of the plan`);
      }
    }
    return plan;
  }
}

/**
 * Plans already checked, by planner and encoding: a training step sends the same few plans again and
 * again, and an identical encoding is the same plan, so a hit skips the rebuild. Slots are picked by a
 * hash of the encoding and hold a copy of it, compared in full before a hit counts. Only plans that
 * passed are kept.
 */
interface Checked {
  planner: string;
  v: Int32Array;
  out: unknown;
}
const CACHE_SLOTS = 1024;
const checked: (Checked | undefined)[] = new Array(CACHE_SLOTS);

function memo<T>(planner: string, e: Encoded, check: () => T): T {
  const v = e.v;
  let h = 0x811c9dc5 ^ planner.length ^ planner.charCodeAt(0);
  for (let i = 0; i < v.length; i++) h = Math.imul(h ^ v[i]!, 0x01000193);
  const slot = (h >>> 0) % CACHE_SLOTS;
  const hit = checked[slot];
  if (hit !== undefined && hit.planner === planner && hit.v.length === v.length && hit.v.every((x, i) => x === v[i])) return hit.out as T;
  const out = check();
  checked[slot] = { planner, v, out };
  return out;
}

/** Entry names of a plan made of a few leading entries and then groups of MAX_RANK. */
const grouped = (head: readonly string[], groups: readonly string[]): readonly string[] =>
  Object.freeze([...head, ...groups.flatMap((g) => new Array<string>(MAX_RANK).fill(g))]);
const BROADCAST = grouped(['rank', 'size'], ['outShape', 'aStrides', 'bStrides']);
const EXPAND = grouped(['rank', 'size'], ['outShape', 'inStrides']);
const SLICE = grouped(['rank'], ['inShape', 'begin', 'outShape']);
const TRANSPOSE = grouped(['rank'], ['inShape', 'perm']);
const PAD = grouped(['rank'], ['inShape', 'before', 'after']);

const MATMUL = ['m', 'n', 'k', 'transposeA', 'transposeB'];
const CHANNEL = ['outer', 'channels', 'inner'];
const ROWS = ['rows', 'cols'];
const REDUCE = ['outer', 'reduce', 'inner'];
const CONCAT = ['outer', 'count', 'blockSizes'];
const TENSOR_LIST = ['count', 'total', 'sizes'];
/**
 * Keeps the window arithmetic of the assembly (oh * stride - pad + k * dilation, in i32) far from
 * overflow: padded extents, and output extent times stride (and dilation), within MAX_FLOATS. Core's
 * planner accepts any pads and strides; ones past this describe no buffer of this memory.
 */
function spatial(e: Encoded, paddedH: number, paddedW: number, rows: number[], cols: number[]): void {
  e.size('padded height', [paddedH, ...rows.slice(2)]);
  e.size('padded width', [paddedW, ...cols.slice(2)]);
  e.size('strided height', rows.slice(0, 2));
  e.size('strided width', cols.slice(0, 2));
}

const CONV = ['batch', 'inChannels', 'inHeight', 'inWidth', 'outChannels', 'outHeight', 'outWidth', 'kernelHeight', 'kernelWidth',
  'strideHeight', 'strideWidth', 'dilationHeight', 'dilationWidth', 'padTop', 'padBottom', 'padLeft', 'padRight', 'groups'];

export function checkConv2dPlan(kernel: string, attrs: { plan: Conv2dPlan }): Conv2dPlan {
  const e = new Encoded(kernel, attrs, CONV, CONV.length);
  return memo('conv', e, () => {
    const [n, c, h, w, o, oh, ow] = e.run(0, 7, 0);
    const [kh, kw, sh, sw, dh, dw] = e.run(7, 6, 1);
    const [pt, pb, pl, pr] = e.run(13, 4, 0);
    const g = e.at(17, 1);
    e.size('input', [n!, c!, h!, w!]);
    e.size('output', [n!, o!, oh!, ow!]);
    e.size('filter', [o!, c! / g, kh!, kw!]);
    spatial(e, h! + pt! + pb!, w! + pl! + pr!, [oh!, sh!, dh!], [ow!, sw!, dw!]);
    return e.same('planConv2d', () =>
      planConv2d([n!, c!, h!, w!], [o!, c! / g, kh!, kw!], { stride: [sh!, sw!], dilation: [dh!, dw!], padding: [pt!, pb!, pl!, pr!], groups: g }),
    );
  });
}

const POOL = ['batch', 'channels', 'inHeight', 'inWidth', 'outHeight', 'outWidth', 'windowHeight', 'windowWidth', 'strideHeight', 'strideWidth',
  'padTop', 'padBottom', 'padLeft', 'padRight', 'countIncludePad', 'ceilMode'];

export function checkPool2dPlan(kernel: string, attrs: { plan: Pool2dPlan }): Pool2dPlan {
  const e = new Encoded(kernel, attrs, POOL, POOL.length);
  return memo('pool', e, () => {
    const [n, c, h, w, oh, ow] = e.run(0, 6, 0);
    const [wh, ww, sh, sw] = e.run(6, 4, 1);
    const [pt, pb, pl, pr] = e.run(10, 4, 0);
    const countIncludePad = e.at(14, 0, 1) === 1;
    const ceilMode = e.at(15, 0, 1) === 1;
    e.size('input', [n!, c!, h!, w!]);
    e.size('output', [n!, c!, oh!, ow!]);
    e.size('window', [wh!, ww!]);
    spatial(e, h! + pt! + pb!, w! + pl! + pr!, [oh!, sh!], [ow!, sw!]);
    return e.same('planPool2d', () =>
      planPool2d([n!, c!, h!, w!], { window: [wh!, ww!], stride: [sh!, sw!], padding: [pt!, pb!, pl!, pr!], ceilMode, countIncludePad }),
    );
  });
}

export function checkMatMulPlan(kernel: string, attrs: { plan: MatMulPlan }): MatMulPlan {
  const e = new Encoded(kernel, attrs, MATMUL, 5);
  return memo('matmul', e, () => {
    const [m, n, k] = e.run(0, 3, 1);
    const ta = e.at(3, 0, 1) === 1;
    const tb = e.at(4, 0, 1) === 1;
    e.size('a', [m!, k!]);
    e.size('b', [k!, n!]);
    e.size('output', [m!, n!]);
    return e.same('planMatMul', () => planMatMul(ta ? [k!, m!] : [m!, k!], tb ? [n!, k!] : [k!, n!], ta, tb));
  });
}

/** The broadcast plan plus the float counts its a and b buffers must hold. */
export function checkBroadcastPlan(kernel: string, attrs: { plan: BroadcastPlan }): { plan: BroadcastPlan; aSize: number; bSize: number } {
  const e = new Encoded(kernel, attrs, BROADCAST, BROADCAST.length);
  return memo('broadcast', e, () => {
    const rank = e.at(0, 0, MAX_RANK);
    const out = e.run(2, rank, 0);
    e.size('output', out);
    // An operand's shape is the output's with its broadcast (stride 0) axes set to 1.
    const operand = (from: number): number[] => out.map((d, i) => (e.at(from + i, 0) === 0 ? 1 : d));
    const a = operand(2 + MAX_RANK);
    const b = operand(2 + 2 * MAX_RANK);
    const plan = e.same('planBroadcast', () => planBroadcast(opName(kernel), a, b));
    return { plan, aSize: e.size('a', a), bSize: e.size('b', b) };
  });
}

/** The expand plan plus the float count its input must hold. */
export function checkExpandPlan(kernel: string, attrs: { plan: ExpandPlan }): { plan: ExpandPlan; inSize: number } {
  const e = new Encoded(kernel, attrs, EXPAND, EXPAND.length);
  return memo('expand', e, () => {
    const rank = e.at(0, 1, MAX_RANK);
    const out = e.run(2, rank, 1);
    e.size('output', out);
    // The input's shape is the output's with its broadcast (stride 0) axes set to 1; core encodes
    // a scalar (shape []) as rank 1 of one cell with stride 0.
    const inShape = out.map((d, i) => (e.at(2 + MAX_RANK + i, 0) === 0 ? 1 : d));
    const scalar = rank === 1 && out[0] === 1 && e.v[2 + MAX_RANK] === 0;
    const plan = e.same('planExpand', () => (scalar ? planExpand(opName(kernel), [], []) : planExpand(opName(kernel), inShape, out)));
    return { plan, inSize: e.size('input', inShape) };
  });
}

export function checkChannelPlan(kernel: string, attrs: { plan: ChannelPlan }): ChannelPlan {
  const e = new Encoded(kernel, attrs, CHANNEL, 3);
  return memo('channel', e, () => {
    const [outer, channels, inner] = e.run(0, 3, 0);
    e.size('tensor', [outer!, channels!, inner!]);
    const shape = Object.freeze([outer!, channels!, inner!]);
    return Object.freeze({ kind: 'channel' as const, outer: outer!, channels: channels!, inner: inner!, shape, encoded: e.v });
  });
}

export function checkRowsPlan(kernel: string, attrs: { plan: RowsPlan }): RowsPlan {
  const e = new Encoded(kernel, attrs, ROWS, 2);
  return memo('rows', e, () => {
    const rows = e.at(0, 0);
    const cols = e.at(1, 1);
    e.size('tensor', [rows, cols]);
    return Object.freeze({ kind: 'rows' as const, rows, cols, encoded: e.v });
  });
}

export function checkReducePlan(kernel: string, attrs: { plan: ReducePlan }): ReducePlan {
  const e = new Encoded(kernel, attrs, REDUCE, 3);
  return memo('reduce', e, () => {
    const [outer, reduce, inner] = e.run(0, 3, 1);
    e.size('input', [outer!, reduce!, inner!]);
    return e.same('planReduce', () => planReduce(outer!, reduce!, inner!));
  });
}

/** Rank and input shape of a layout plan: [rank, inShape x6, ...]. */
function layoutInput(e: Encoded): { rank: number; inShape: number[] } {
  const rank = e.at(0, 1, MAX_RANK);
  const inShape = e.run(1, rank, 1);
  e.size('input', inShape);
  return { rank, inShape };
}

export function checkSlicePlan(kernel: string, attrs: { plan: SlicePlan }): SlicePlan {
  const e = new Encoded(kernel, attrs, SLICE, SLICE.length);
  return memo('slice', e, () => {
    const { rank, inShape } = layoutInput(e);
    const begin = e.run(1 + MAX_RANK, rank, 0);
    const size = e.run(1 + 2 * MAX_RANK, rank, 1);
    return e.same('planSlice', () => planSlice(inShape, begin, size));
  });
}

export function checkTransposePlan(kernel: string, attrs: { plan: TransposePlan }): TransposePlan {
  const e = new Encoded(kernel, attrs, TRANSPOSE, TRANSPOSE.length);
  return memo('transpose', e, () => {
    const { rank, inShape } = layoutInput(e);
    const perm = e.run(1 + MAX_RANK, rank, 0);
    return e.same('planTranspose', () => planTranspose(inShape, perm));
  });
}

export function checkPadPlan(kernel: string, attrs: { plan: PadPlan }): PadPlan {
  const e = new Encoded(kernel, attrs, PAD, PAD.length);
  return memo('pad', e, () => {
    const { rank, inShape } = layoutInput(e);
    const before = e.run(1 + MAX_RANK, rank, 0);
    const after = e.run(1 + 2 * MAX_RANK, rank, 0);
    e.size('output', inShape.map((d, i) => d + before[i]! + after[i]!));
    return e.same('planPad', () => planPad(inShape, before.map((b, i) => [b, after[i]!] as const)));
  });
}

/** Largest number of Concat inputs (the plan encodes one block size per input). */
const MAX_CONCAT = 1 << 16;

export function checkConcatPlan(kernel: string, attrs: { plan: ConcatPlan }): ConcatPlan {
  const e = new Encoded(kernel, attrs, CONCAT, [3, 2 + MAX_CONCAT]);
  return memo('concat', e, () => {
    const outer = e.at(0, 0);
    const count = e.at(1, 1, e.v.length - 2);
    if (e.v.length !== 2 + count) throw new ArgumentError(opName(kernel), 'plan.encoded', brief(e.v), `2 + count = ${2 + count} entries`);
    const blocks = e.run(2, count, 0);
    e.size('output', [outer, blocks.reduce((s, b) => s + b, 0)]);
    return e.same('planConcat', () => planConcat(blocks.map((b) => [outer, b]), 1));
  });
}

/** Largest number of tensors in one multi-tensor call (the plan encodes one size per tensor). */
const MAX_TENSOR_LIST = 1 << 16;

/** The multi-tensor kernels' plan: every size positive, their sum `total` inside the wasm32 memory. */
export function checkTensorListPlan(kernel: string, attrs: { plan: TensorListPlan }): TensorListPlan {
  const e = new Encoded(kernel, attrs, TENSOR_LIST, [3, 2 + MAX_TENSOR_LIST]);
  return memo('tensorList', e, () => {
    const count = e.at(0, 1, e.v.length - 2);
    if (e.v.length !== 2 + count) throw new ArgumentError(opName(kernel), 'plan.encoded', brief(e.v), `2 + count = ${2 + count} entries`);
    const sizes = e.run(2, count, 1);
    e.size('total', [sizes.reduce((s, b) => s + b, 0)]);
    return e.same('planTensorList', () => planTensorList(opName(kernel), sizes));
  });
}
