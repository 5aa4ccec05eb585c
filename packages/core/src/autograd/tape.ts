/** Reverse-mode gradients: runs f on a tape, then the recorded ops' backward rules in reverse. */
import { ArgumentError } from '../errors.js';
import { engine, Tensor } from '../engine.js';
import { add, copy } from '../ops/elementwise.js';
import { fill } from '../ops/create.js';
import { GRAD_RULES } from './grad/index.js';
import { noGrad, recordOn, Tape, type TapeNode } from './record.js';
import type { GradOp } from './ops.js';
import type { GradRule } from './rule.js';

export { noGrad } from './record.js';

export interface ValueAndGrads {
  value: Tensor;
  grads: Tensor[];
}

/**
 * Reverse-mode gradients of the scalar (or summed) value of `f` with respect to `xs`. Every
 * intermediate tensor of the forward and backward passes is freed, and so is everything the tape
 * saved, also when f or the backward pass throws; `value` and `grads` are the caller's to dispose.
 * A tensor of `xs` that `f` does not use gets a zero gradient.
 */
export function valueAndGrads(f: () => Tensor, xs: readonly Tensor[]): ValueAndGrads {
  xs.forEach((x, i) => {
    if (!(x instanceof Tensor)) throw new ArgumentError('valueAndGrads', `xs[${i}]`, x, 'a Tensor');
    x.live();
  });
  const tape = new Tape(GRAD_RULES);
  for (const x of xs) tape.watched.add(x);
  engine.startScope();
  let value: Tensor;
  let grads: Tensor[];
  try {
    value = recordOn(tape, f);
    if (!(value instanceof Tensor)) throw new ArgumentError('valueAndGrads', 'f()', value, 'a Tensor');
    grads = backprop(tape, value, xs);
  } catch (e) {
    tape.dispose();
    engine.endScope([]);
    throw e;
  }
  tape.dispose();
  engine.endScope([value, ...grads]);
  return { value, grads };
}

/** Gradients only; the value is disposed. */
export function grads(f: () => Tensor, xs: readonly Tensor[]): Tensor[] {
  const r = valueAndGrads(f, xs);
  r.value.dispose();
  return r.grads;
}

/** Gradients by tensor. One gradient tensor may serve several entries (a rule passing dy through). */
class GradMap {
  private readonly byTensor = new Map<Tensor, Tensor>();
  private readonly entries = new Map<Tensor, number>();

  get(t: Tensor): Tensor | undefined {
    return this.byTensor.get(t);
  }

  holds(grad: Tensor): boolean {
    return this.entries.has(grad);
  }

  /** Adds `dx` into t's gradient. */
  accumulate(t: Tensor, dx: Tensor): void {
    const prev = this.byTensor.get(t);
    const next = prev ? add(prev, dx) : dx;
    if (prev) this.drop(t);
    this.byTensor.set(t, next);
    this.entries.set(next, (this.entries.get(next) ?? 0) + 1);
  }

  /** Forgets t's gradient, freeing it when no other entry holds it. */
  drop(t: Tensor): void {
    const d = this.byTensor.get(t);
    if (!d) return;
    this.byTensor.delete(t);
    const left = this.entries.get(d)! - 1;
    if (left > 0) this.entries.set(d, left);
    else {
      this.entries.delete(d);
      d.dispose();
    }
  }
}

function runRule<K extends GradOp>(node: TapeNode<K>, dys: readonly (Tensor | undefined)[]): readonly (Tensor | undefined)[] {
  const rule: GradRule<K> = GRAD_RULES[node.op];
  // A scope per rule frees its temporaries at once; the input gradients move to the outer scope.
  engine.startScope();
  let dxs: readonly (Tensor | undefined)[] = [];
  try {
    dxs = rule.backward(dys, node.view, node.attrs);
  } finally {
    engine.endScope(dxs.filter((d) => d !== undefined));
  }
  return dxs;
}

/**
 * Runs the rules from the last node to the first. Each node's saved values, its output gradients
 * and its rule's temporaries are freed as soon as it has run, so the backward pass holds only the
 * gradients still to be propagated (as the forward pass holds only live activations).
 */
function backprop(tape: Tape, value: Tensor, xs: readonly Tensor[]): Tensor[] {
  const g = new GradMap();
  g.accumulate(value, fill(value.shape, 1, value.backend));
  noGrad(() => {
    for (let i = tape.nodes.length - 1; i >= 0; i--) {
      const node = tape.nodes[i]!;
      const dys = node.outputs.map((o) => g.get(o));
      if (dys.some((d) => d !== undefined)) {
        const dxs = runRule(node, dys);
        node.inputs.forEach((inp, j) => {
          if (inp && dxs[j] && node.view.needs[j]) g.accumulate(inp, dxs[j]);
        });
        // Summed into an earlier gradient or not wanted: free it (unless it is a dy passed through).
        for (const dx of new Set(dxs)) if (dx && !g.holds(dx) && !dys.includes(dx)) dx.dispose();
      }
      // An output is made by this node only: nothing earlier reads its gradient or saved values.
      for (const o of node.outputs) g.drop(o);
      node.release();
    }
  });
  return xs.map((x) => {
    const d = g.get(x);
    // The same tensor can be both x and a returned grad only when f is the identity: copy then.
    return d ? (d === x ? copy(d) : d) : fill(x.shape, 0, x.backend);
  });
}
