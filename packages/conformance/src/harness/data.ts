/** Deterministic case inputs: every case draws from core's Philox RNG seeded by a hash of its key. */
import { Rng } from '@stridenet/core';

export function seedOf(key: string): number {
  let h = 2166136261;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619) >>> 0;
  return h;
}

export function uniform(key: string, n: number, low = -1, high = 1): Float32Array {
  return new Rng(seedOf(key)).uniform(n, low, high);
}

/**
 * n distinct values in [-1, 1) at least 2/n apart, shuffled: max pooling and max reductions are
 * then tie-free, and a perturbation below 1/n per entry cannot change which entry wins.
 */
export function distinct(key: string, n: number): Float32Array {
  const p = new Rng(seedOf(key)).permutation(n);
  return Float32Array.from(p, (v) => (2 * v) / n - 1 + 0.5 / n);
}

/** Uniform values kept at least `margin` away from zero (for ops with a kink at 0). */
export function awayFromZero(key: string, n: number, margin = 0.05, high = 1): Float32Array {
  const u = uniform(key, n, -1, 1);
  return u.map((v) => Math.sign(v || 1) * (margin + Math.abs(v) * (high - margin)));
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
