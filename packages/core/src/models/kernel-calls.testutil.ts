import { createCpuBackend } from '@stridenet/cpu-js';
import { setBackend } from '../engine.js';
import type { Backend, KernelName } from '../spec/index.js';

/** Kernel calls per name on the active backend, counted by a wrapper around cpu-js's table. */
const calls = new Map<string, number>();

/** Makes cpu-js, with every kernel counted, the active backend (call from beforeAll). */
export async function useCountingCpuBackend(): Promise<void> {
  const cpu = await createCpuBackend();
  const counted = Object.fromEntries(
    Object.entries(cpu.kernels).map(([name, fn]) => [name, (inputs: never, attrs: never) => (calls.set(name, (calls.get(name) ?? 0) + 1), (fn as (i: never, a: never) => unknown)(inputs, attrs))]),
  );
  await setBackend({ ...cpu, kernels: counted } as unknown as Backend);
}

/** Runs fn and returns its value with the kernel calls it made, by kernel name. */
export function counting<T>(fn: () => T): { value: T; count: (k: KernelName) => number } {
  calls.clear();
  const value = fn();
  const seen = new Map(calls);
  return { value, count: (k) => seen.get(k) ?? 0 };
}
