import { ArgumentError } from '../errors.js';
import { engine, Tensor } from '../engine.js';
// Cyclic with ops (they import record): only used at call time, never at module evaluation.
import { add, copy } from '../ops/elementwise.js';
import { fill } from '../ops/create.js';

/**
 * Maps output gradients to input gradients (undefined where an input gets none). `needs[i]` says
 * whether input i wants a gradient at all, so expensive ones (conv input of the first layer) can be skipped.
 */
export type BackwardFn = (dys: readonly (Tensor | undefined)[], needs: readonly boolean[]) => readonly (Tensor | undefined)[];

interface Node {
  inputs: readonly (Tensor | undefined)[];
  outputs: readonly Tensor[];
  backward: BackwardFn;
}

class Tape {
  readonly nodes: Node[] = [];
  /** Tensors whose gradient is wanted or that depend on them. */
  readonly watched = new Set<Tensor>();
  /** Everything a recorded node references; kept alive until the gradient pass ends. */
  readonly saved = new Set<Tensor>();
}

const tapes: Tape[] = [];
let paused = 0;

/**
 * Records an op for the active tapes when any input depends on a watched tensor. Ops call this
 * right after running their forward kernels; `backward` is written in terms of ops (so kernels only).
 */
export function record(outputs: readonly Tensor[], inputs: readonly (Tensor | undefined)[], backward: BackwardFn): void {
  if (tapes.length === 0 || paused > 0) return;
  for (const tape of tapes) {
    if (!inputs.some((t) => t !== undefined && tape.watched.has(t))) continue;
    tape.nodes.push({ inputs, outputs, backward });
    for (const t of outputs) {
      tape.watched.add(t);
      tape.saved.add(t);
    }
    for (const t of inputs) if (t) tape.saved.add(t);
  }
}

/** True while some tape would record an op on these inputs (lets ops skip saving work). */
export function isRecording(inputs: readonly (Tensor | undefined)[]): boolean {
  if (tapes.length === 0 || paused > 0) return false;
  return tapes.some((tape) => inputs.some((t) => t !== undefined && tape.watched.has(t)));
}

/** Runs fn without recording (optimizer steps, metrics). */
export function noGrad<T>(fn: () => T): T {
  paused += 1;
  try {
    return fn();
  } finally {
    paused -= 1;
  }
}

export interface ValueAndGrads {
  value: Tensor;
  grads: Tensor[];
}

/**
 * Reverse-mode gradients of the scalar (or summed) value of `f` with respect to `xs`. Every
 * intermediate tensor of the forward and backward passes is freed; `value` and `grads` are the
 * caller's to dispose. A tensor of `xs` that `f` does not use gets a zero gradient.
 */
export function valueAndGrads(f: () => Tensor, xs: readonly Tensor[]): ValueAndGrads {
  xs.forEach((x, i) => {
    if (!(x instanceof Tensor)) throw new ArgumentError('valueAndGrads', `xs[${i}]`, x, 'a Tensor');
    x.live();
  });
  const tape = new Tape();
  for (const x of xs) tape.watched.add(x);
  engine.startScope();
  engine.pinned.push(tape.saved);
  tapes.push(tape);
  let value: Tensor;
  let grads: Tensor[];
  try {
    try {
      value = f();
    } finally {
      tapes.splice(tapes.indexOf(tape), 1);
    }
    if (!(value instanceof Tensor)) throw new ArgumentError('valueAndGrads', 'f()', value, 'a Tensor');
    grads = backprop(tape, value, xs);
  } catch (e) {
    engine.pinned.splice(engine.pinned.indexOf(tape.saved), 1);
    engine.endScope([]);
    throw e;
  }
  engine.pinned.splice(engine.pinned.indexOf(tape.saved), 1);
  engine.endScope([value, ...grads]);
  return { value, grads };
}

/** Gradients only; the value is disposed. */
export function grads(f: () => Tensor, xs: readonly Tensor[]): Tensor[] {
  const r = valueAndGrads(f, xs);
  r.value.dispose();
  return r.grads;
}

function backprop(tape: Tape, value: Tensor, xs: readonly Tensor[]): Tensor[] {
  const g = new Map<Tensor, Tensor>();
  g.set(value, fill(value.shape, 1, value.backend));
  paused += 1;
  try {
    for (let i = tape.nodes.length - 1; i >= 0; i--) {
      const node = tape.nodes[i]!;
      const dys = node.outputs.map((o) => g.get(o));
      if (dys.every((d) => d === undefined)) continue;
      const dxs = node.backward(dys, node.inputs.map((t) => t !== undefined && tape.watched.has(t)));
      node.inputs.forEach((inp, j) => {
        const dx = dxs[j];
        if (!inp || !dx || !tape.watched.has(inp)) return;
        const prev = g.get(inp);
        g.set(inp, prev ? accumulate(prev, dx) : dx);
      });
    }
  } finally {
    paused -= 1;
  }
  return xs.map((x) => {
    const d = g.get(x);
    // The same tensor can be both x and a returned grad only when f is the identity: copy then.
    return d ? (d === x ? copy(d) : d) : fill(x.shape, 0, x.backend);
  });
}

function accumulate(a: Tensor, b: Tensor): Tensor {
  return add(a, b);
}
