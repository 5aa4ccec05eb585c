// The multi-tensor kernels' checks in C++ (src/native/tensor-list.h): a call whose handles or plan
// disagree is refused with the offending list entry named, before any value is written.
import { describe, expect, it } from 'vitest';
import { planTensorList } from '@stridenet/core';
import { random } from '../testing/values.js';
import { useBackend } from '../testing/backend.js';

const { b, up } = useBackend();
const sgd = { lr: 0.1, momentum: 0.9, nesterov: false, weightDecay: 0 };

describe('multi-tensor kernels refuse inconsistent calls', () => {
  const plan = planTensorList('test', [3, 5]);
  const lists = (sizes: number[]) => sizes.map((n, i) => up(random(n, 40 + i)));

  it('names the list entry whose buffer has the wrong size, and writes nothing', async () => {
    const params = lists([3, 5]);
    const before = await Promise.all(params.map((h) => b().read(h)));
    expect(() => b().kernels.SgdUpdateMany({ params, grads: lists([3, 4]), velocities: lists([3, 5]) }, { ...sgd, plan })).toThrow("SgdUpdateMany: input 'grads[1]' holds 4 floats but the plan expects 5");
    expect(() => b().kernels.AllFinite({ xs: lists([2, 5]) }, { plan })).toThrow("AllFinite: input 'xs[0]' holds 2 floats but the plan expects 3");
    const after = await Promise.all(params.map((h) => b().read(h)));
    expect(after).toEqual(before);
  });

  it('refuses a handle count that does not match the plan', () => {
    expect(() => b().kernels.SgdUpdateMany({ params: lists([3, 5]), grads: lists([3, 5]), velocities: lists([3]) }, { ...sgd, plan })).toThrow('SgdUpdateMany: expected 6 inputs, got 5');
    expect(() => b().kernels.AllFinite({ xs: lists([3, 5, 1]) }, { plan })).toThrow('AllFinite: expected 2 inputs, got 3');
  });

  it('refuses a plan whose total is not the sum of its sizes', () => {
    const forged = { ...plan, encoded: Int32Array.from([2, 9, 3, 5]) };
    expect(() => b().kernels.AllFinite({ xs: lists([3, 5]) }, { plan: forged })).toThrow('AllFinite: total 9 but the sizes add up to 8');
  });
});
