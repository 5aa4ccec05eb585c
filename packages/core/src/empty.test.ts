// Empty batches through whole models (the per-op rules are in the conformance suite, suites/empty.ts).
import { beforeAll, describe, expect, it } from 'vitest';
import { createCpuBackend } from '@stridenet/cpu-js';
import { ShapeError } from './errors.js';
import { memory, setBackend, tidy } from './engine.js';
import { zeros } from './ops/create.js';
import { Rng } from './random/philox.js';
import { valueAndGrads } from './autograd/tape.js';
import { softmaxCrossEntropyLoss } from './train/losses.js';
import { alexnet, ccpccp, lenet5 } from './models/zoo/index.js';

beforeAll(async () => {
  await setBackend(await createCpuBackend());
});

describe('an empty batch', () => {
  it('goes through a model forward and backward: empty logits, NaN loss, zero gradients (PyTorch)', async () => {
    const model = lenet5({ seed: 1 });
    const start = memory().tensors;
    const params = model.parameters().map((p) => p.value);
    const before = memory().tensors;
    const { value, grads } = valueAndGrads(() => {
      const logits = model.forward(zeros([0, 1, 28, 28]), { training: true, rng: new Rng(0) });
      expect(logits.shape).toEqual([0, 10]);
      return softmaxCrossEntropyLoss(logits, []);
    }, params);
    expect(Number.isNaN((await value.data())[0])).toBe(true);
    for (const g of grads) expect((await g.data()).every((v) => v === 0)).toBe(true);
    value.dispose();
    for (const g of grads) g.dispose();
    expect(memory().tensors).toBe(before);
    expect(before).toBeGreaterThanOrEqual(start);
  });

  it('takes dropout and adaptive pooling (AlexNet) and batch norm in inference; batch-norm training is a ShapeError', async () => {
    const net = alexnet({ inputShape: [3, 63, 63], numClasses: 5, hiddenUnits: 8 });
    const y = tidy(() => net.forward(zeros([0, 3, 63, 63]), { training: true, rng: new Rng(0) }));
    expect(y.shape).toEqual([0, 5]);
    expect((await y.data()).length).toBe(0);
    y.dispose();
    const bn = ccpccp();
    const z = tidy(() => bn.forward(zeros([0, 1, 28, 28])));
    expect(z.shape).toEqual([0, 10]);
    z.dispose();
    expect(() => tidy(() => bn.forward(zeros([0, 1, 28, 28]), { training: true, rng: new Rng(0) }))).toThrow(ShapeError);
  });
});
