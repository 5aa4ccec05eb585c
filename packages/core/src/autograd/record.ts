/**
 * Recording: ops report what they computed; active tapes keep the nodes and the values their
 * backward rules read. Depends only on the engine (rules are looked up when the tape runs).
 */
import { engine, type Tensor } from '../engine.js';
import type { GradAttrs, GradOp } from './ops.js';
import type { GradNode, SaveRules, SaveSpec } from './rule.js';

/** One recorded op. Inputs and outputs are identities only; values live in `saved*`. */
export interface TapeNode<K extends GradOp = GradOp> {
  readonly op: K;
  readonly attrs: GradAttrs<K>;
  readonly inputs: readonly (Tensor | undefined)[];
  readonly outputs: readonly Tensor[];
  readonly view: GradNode;
  /** Drops the node's saved values (after its backward ran, or when the tape is disposed). */
  release(): void;
}

/**
 * A gradient tape. It owns what it saves: each saved value is a reference to the tensor's storage
 * of its own, so ops and models free their tensors as usual and the tape frees its references.
 */
export class Tape {
  readonly nodes: TapeNode[] = [];
  /** Tensors whose gradient is wanted or that depend on them. */
  readonly watched = new Set<Tensor>();

  constructor(private readonly rules: SaveRules) {}

  add<K extends GradOp>(op: K, outputs: readonly Tensor[], inputs: readonly (Tensor | undefined)[], attrs: GradAttrs<K>): void {
    const needs = inputs.map((t) => t !== undefined && this.watched.has(t));
    const { saves } = this.rules[op];
    const spec: SaveSpec = typeof saves === 'function' ? saves(attrs, needs) : saves;
    const savedIn = new Map<number, Tensor>();
    const savedOut = new Map<number, Tensor>();
    for (const i of spec.inputs ?? []) if (inputs[i]) savedIn.set(i, engine.retain(inputs[i]!));
    for (const i of spec.outputs ?? []) savedOut.set(i, engine.retain(outputs[i]!));
    const get = (saved: Map<number, Tensor>, kind: string) => (i: number): Tensor => {
      const t = saved.get(i);
      // A core bug, not bad input: the rule's `saves` must list what its backward reads.
      if (!t || t.isDisposed) throw new Error(`autograd: the ${op} backward rule reads ${kind} ${i}, which it does not save`);
      return t;
    };
    this.nodes.push({
      op,
      attrs,
      inputs,
      outputs,
      view: {
        needs,
        inputShapes: inputs.map((t) => t?.shape),
        outputShapes: outputs.map((t) => t.shape),
        input: get(savedIn, 'input'),
        output: get(savedOut, 'output'),
      },
      release() {
        for (const t of [...savedIn.values(), ...savedOut.values()]) t.dispose();
        savedIn.clear();
        savedOut.clear();
      },
    });
    for (const t of outputs) this.watched.add(t);
  }

  /** Frees every value still saved. */
  dispose(): void {
    for (const n of this.nodes) n.release();
  }
}

const tapes: Tape[] = [];
let paused = 0;

/**
 * Records an op for the active tapes whose watched tensors it depends on. Ops call this right after
 * their forward kernels, with the inputs (undefined for an absent optional one) and attributes the
 * op's backward rule (autograd/grad/) reads.
 */
export function record<K extends GradOp>(op: K, outputs: readonly Tensor[], inputs: readonly (Tensor | undefined)[], attrs: GradAttrs<K>): void {
  if (tapes.length === 0 || paused > 0) return;
  for (const tape of tapes) {
    if (inputs.some((t) => t !== undefined && tape.watched.has(t))) tape.add(op, outputs, inputs, attrs);
  }
}

/**
 * False when no tape is active or recording is paused: record() and recording() would do nothing for any input, so
 * a hot op may skip building their argument arrays (a few allocations per eager op; s44).
 */
export function taping(): boolean {
  return tapes.length > 0 && paused === 0;
}

/**
 * Whether record() would keep an op on these inputs for some active tape. False: no gradient flows
 * through the op (no tape, noGrad(), or no tape watches an input), so its kernel may be told `noGrad`.
 */
export function recording(inputs: readonly (Tensor | undefined)[]): boolean {
  if (tapes.length === 0 || paused > 0) return false;
  return tapes.some((tape) => inputs.some((t) => t !== undefined && tape.watched.has(t)));
}

/** Runs fn without recording (optimizer steps, metrics, the backward pass itself). */
export function noGrad<T>(fn: () => T): T {
  paused += 1;
  try {
    return fn();
  } finally {
    paused -= 1;
  }
}

/** Records on `tape` while fn runs. */
export function recordOn<T>(tape: Tape, fn: () => T): T {
  tapes.push(tape);
  try {
    return fn();
  } finally {
    tapes.splice(tapes.indexOf(tape), 1);
  }
}
