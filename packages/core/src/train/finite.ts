import type { Tensor } from '../engine.js';
import { noGrad } from '../autograd/tape.js';
import { allFiniteFlag } from '../ops/reduce.js';
import type { Parameter } from '../models/types.js';

/**
 * True when every value of every tensor is finite (no NaN, no ±Inf): one AllFinite kernel call for
 * the whole list and one read-back of its [1] flag. Weights, checkpoints and the training step's
 * gradient check all use it.
 */
export async function allFinite(tensors: readonly Tensor[]): Promise<boolean> {
  if (tensors.length === 0) return true;
  const flag = noGrad(() => allFiniteFlag(tensors));
  try {
    return (await flag.data())[0] === 1;
  } finally {
    flag.dispose();
  }
}

/**
 * The training step's gradient check: true when no gradient holds NaN or ±Inf (exact, whatever the
 * magnitudes: a huge but finite gradient is left to the loss and weight checks).
 */
export async function gradientsFinite(grads: readonly Tensor[]): Promise<boolean> {
  return allFinite(grads);
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
