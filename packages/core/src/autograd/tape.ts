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

function runRule<K extends GradOp>(node: TapeNode<K>, dys: readonly (Tensor | undefined)[]): readonly (Tensor | undefined)[] {
  const rule: GradRule<K> = GRAD_RULES[node.op];
  return rule.backward(dys, node.view, node.attrs);
}

function backprop(tape: Tape, value: Tensor, xs: readonly Tensor[]): Tensor[] {
  const g = new Map<Tensor, Tensor>();
  g.set(value, fill(value.shape, 1, value.backend));
  noGrad(() => {
    for (let i = tape.nodes.length - 1; i >= 0; i--) {
      const node = tape.nodes[i]!;
      const dys = node.outputs.map((o) => g.get(o));
      if (dys.some((d) => d !== undefined)) {
        const dxs = runRule(node, dys);
        node.inputs.forEach((inp, j) => {
          const dx = dxs[j];
          if (!inp || !dx || !node.view.needs[j]) return;
          const prev = g.get(inp);
          g.set(inp, prev ? add(prev, dx) : dx);
        });
      }
      // Nothing earlier reads this node's saved values: free them now, not at the end.
      node.release();
    }
  });
  return xs.map((x) => {
    const d = g.get(x);
    // The same tensor can be both x and a returned grad only when f is the identity: copy then.
    return d ? (d === x ? copy(d) : d) : fill(x.shape, 0, x.backend);
  });
}
