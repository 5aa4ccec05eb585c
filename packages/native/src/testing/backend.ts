import { afterAll, beforeAll } from 'vitest';
import { createNativeBackend, type NativeBackend } from '../index.js';
import type { NativeHandle } from '../handle.js';

/** One 2-thread backend per test file (2 threads exercises the pool paths on any machine). */
export function useBackend(threads = 2): { b: () => NativeBackend; up: (v: ArrayLike<number>) => NativeHandle; get: (h: NativeHandle) => Float32Array } {
  let backend: NativeBackend | undefined;
  beforeAll(async () => {
    backend = await createNativeBackend({ threads });
  });
  afterAll(async () => {
    await backend?.dispose?.();
  });
  const b = () => backend!;
  return {
    b,
    up: (v) => b().upload(Float32Array.from(v)),
    get: (h) => {
      const out = b().readSync!(h);
      b().free(h);
      return out;
    },
  };
}
