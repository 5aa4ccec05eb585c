import { tidy, type Tensor } from '../engine.js';
import { noGrad } from '../autograd/tape.js';
import { mul } from '../ops/elementwise.js';
import { scalar } from '../ops/create.js';
import { sum } from '../ops/reduce.js';
import { concat, reshape } from '../ops/layout.js';
import type { Parameter } from '../models/types.js';

/**
 * Reduces each tensor to one number with `partial`, sums those on the backend (one concat, one sum)
 * and reads back one value: true when it is finite. NaN and ±Inf propagate through every sum.
 */
async function finiteTotal(tensors: readonly Tensor[], partial: (t: Tensor) => Tensor): Promise<boolean> {
  if (tensors.length === 0) return true;
  const probe = noGrad(() =>
    tidy(() => {
      const parts = tensors.map((t) => reshape(partial(t), [1]));
      return parts.length === 1 ? parts[0]! : sum(concat(parts, 0));
    }),
  );
  try {
    return Number.isFinite((await probe.data())[0]);
  } finally {
    probe.dispose();
  }
}

/**
 * True when every value of every tensor is finite: x * 0 is 0 for finite x and NaN for NaN or
 * ±Inf, so the total of those is NaN iff any value is (exact, whatever the magnitudes).
 */
export async function allFinite(tensors: readonly Tensor[]): Promise<boolean> {
  let zero: Tensor | undefined;
  return finiteTotal(tensors, (t) => sum(mul(t, (zero ??= scalar(0, t.backend)))));
}

/**
 * The training step's gradient check, in as few kernels as the contract allows: one sum per
 * gradient, one concat, one sum. A gradient whose finite values sum beyond float32's range (about
 * 3.4e38) also counts as non-finite — that is a blown-up step too. Exact per-value checks (weights,
 * checkpoints) use `allFinite`.
 */
export async function gradientsFinite(grads: readonly Tensor[]): Promise<boolean> {
  return finiteTotal(grads, (g) => sum(g));
}

function nonFiniteValues(values: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) n += 1;
  return n;
}

/** The parameters (or named tensors) that hold NaN or ±Inf, with how many such values each has. */
export async function nonFiniteTensors(named: Iterable<{ name: string; value: Tensor }> | readonly Parameter[]): Promise<{ name: string; count: number }[]> {
  const list = [...named];
  if (await allFinite(list.map((p) => p.value))) return [];
  const counts = await Promise.all(list.map(async (p) => ({ name: p.name, count: nonFiniteValues(await p.value.data()) })));
  return counts.filter((c) => c.count > 0);
}
