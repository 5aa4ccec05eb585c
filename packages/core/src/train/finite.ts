import { tidy, type Tensor } from '../engine.js';
import { noGrad } from '../autograd/tape.js';
import { add, mul } from '../ops/elementwise.js';
import { scalar } from '../ops/create.js';
import { sum } from '../ops/reduce.js';
import { concat, reshape } from '../ops/layout.js';
import type { Parameter } from '../models/types.js';

/**
 * True when every value of every tensor is finite. Computed on the backend and read back as one
 * number: x * 0 is 0 for finite x and NaN for NaN or ±Inf, and a sum of those is NaN iff any is.
 */
export async function allFinite(tensors: readonly Tensor[]): Promise<boolean> {
  if (tensors.length === 0) return true;
  const probe = noGrad(() =>
    tidy(() => {
      const zero = scalar(0, tensors[0]!.backend);
      let acc = sum(mul(tensors[0]!, zero));
      for (let i = 1; i < tensors.length; i++) acc = add(acc, sum(mul(tensors[i]!, zero)));
      return acc;
    }),
  );
  try {
    return Number.isFinite((await probe.data())[0]);
  } finally {
    probe.dispose();
  }
}

/**
 * The training step's gradient check, in as few kernels as the contract allows: one sum per
 * gradient, one concat, one sum, read back as one number. NaN and ±Inf propagate through a sum; a
 * gradient whose finite values sum beyond float32's range (about 3.4e38) also counts as non-finite —
 * that is a blown-up step too. Exact per-value checks (weights, checkpoints) use `allFinite`.
 */
export async function gradientsFinite(grads: readonly Tensor[]): Promise<boolean> {
  if (grads.length === 0) return true;
  const probe = noGrad(() =>
    tidy(() => {
      const sums = grads.map((g) => reshape(sum(g), [1]));
      return sums.length === 1 ? sums[0]! : sum(concat(sums, 0));
    }),
  );
  try {
    return Number.isFinite((await probe.data())[0]);
  } finally {
    probe.dispose();
  }
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
