import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebGpuBackend } from './backend.js';
import { cases } from './testing/cases.js';
import { createTestBackend } from './testing/backend.js';

describe('webgpu kernels vs float64 loops', () => {
  let b: WebGpuBackend;
  beforeAll(async () => {
    b = await createTestBackend();
  });
  afterAll(() => b?.dispose());

  for (const c of cases) {
    it(c.name, async () => {
      const live = () => b.runtime.memory().liveBytes;
      const before = live();
      await c.run(b);
      // Every buffer the case allocated went back to the pool.
      expect(live()).toBe(before);
    });
  }
});
