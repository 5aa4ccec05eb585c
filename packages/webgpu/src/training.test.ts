// End to end through @stridenet/core's ops and autograd: a small CNN trained with fused SGD
// updates entirely on the GPU gives the same losses as on cpu-js.
import {
  conv2d,
  flatten,
  matMul,
  maxPool2d,
  relu,
  setBackend,
  sgdUpdate,
  softmaxCrossEntropy,
  tensor,
  tidy,
  valueAndGrads,
  zeros,
  type Backend,
  type Tensor,
} from '@stridenet/core';
import { createCpuBackend } from '@stridenet/cpu-js';
import { expect, it } from 'vitest';
import { randomValues } from './testing/cases.js';
import { createTestBackend } from './testing/backend.js';

async function train<H>(backend: Backend<H>, steps: number): Promise<number[]> {
  // setBackend takes Backend<unknown>, which a Backend<H> is not assignable to (kernel inputs are contravariant).
  await setBackend(backend as unknown as Backend);
  const x = tensor(randomValues(4 * 1 * 10 * 10, 40), [4, 1, 10, 10]);
  const labels = tensor(
    Array.from({ length: 12 }, (_, i) => (i % 3 === Math.floor(i / 3) % 3 ? 1 : 0)),
    [4, 3],
  );
  const params = [
    tensor(randomValues(4 * 1 * 3 * 3, 41, -0.5, 0.5), [4, 1, 3, 3]),
    tensor(randomValues(4, 42, -0.1, 0.1), [4]),
    tensor(randomValues(64 * 3, 43, -0.2, 0.2), [64, 3]),
  ];
  const velocity = params.map((p) => zeros(p.shape));
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    const { value, grads } = valueAndGrads(
      () =>
        tidy(() => {
          const h = maxPool2d(relu(conv2d(x, params[0]!, { padding: 1, bias: params[1]! })), { window: 3, stride: 2 });
          return softmaxCrossEntropy(matMul(flatten(h), params[2]!), labels);
        }),
      params,
    );
    losses.push((await value.data())[0]!);
    params.forEach((p, i) => sgdUpdate(p, grads[i]!, velocity[i]!, { lr: 0.5, momentum: 0.9, nesterov: false, weightDecay: 0 }));
    for (const t of [value, ...grads] as Tensor[]) t.dispose();
  }
  for (const t of [x, labels, ...params, ...velocity]) t.dispose();
  return losses;
}

it('trains a conv-pool-dense model on the GPU with the same losses as cpu-js', async () => {
  const gpu = await createTestBackend();
  const live = gpu.runtime.memory().liveBytes;
  const onGpu = await train(gpu, 5);
  expect(gpu.runtime.memory().liveBytes).toBe(live);
  gpu.dispose();
  const onCpu = await train(await createCpuBackend(), 5);
  expect(onGpu[4]!).toBeLessThan(onGpu[0]!);
  onGpu.forEach((l, i) => expect(l).toBeCloseTo(onCpu[i]!, 4));
}, 120_000);
