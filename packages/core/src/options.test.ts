// Strict option objects (issue 18): every public op, layer, zoo model, optimizer, schedule and the
// training functions reject a key they do not take, naming the function, the key and the keys they take.
import { beforeAll, describe, expect, it } from 'vitest';
import { createCpuBackend } from '@stridenet/cpu-js';
import { ArgumentError, UnknownOptionError } from './errors.js';
import { checkOptionKeys, optionKeys } from './options.js';
import { setBackend } from './engine.js';
import { tensor, zeros } from './ops/create.js';
import { avgPool2d, maxPool1d, maxPool2d } from './ops/pool.js';
import { conv1d, conv2d } from './ops/conv.js';
import { matMul } from './ops/matmul.js';
import { batchNorm } from './ops/normalization.js';
import { adamUpdate, sgdUpdate } from './ops/optimizer.js';
// prettier-ignore
import { AdaptiveAvgPool2D, Add, AvgPool1D, BatchNorm2D, Concat, Conv1D, Conv2D, Dense, Dropout, ELU, Flatten, GlobalMaxPool2D, LeakyReLU, MaxPool2D, ReLU, Softmax } from './layers/index.js';
import { layerFromJSON } from './layers/registry.js';
import { Layer } from './layers/layer.js';
import { createModel, lenet5, resnet20, vgg11 } from './models/zoo/index.js';
import { poolToStridedConv } from './models/transform.js';
import { Adam, AdamW, Sgd, createOptimizer } from './train/optimizers.js';
import { cosineLr, scheduleFromConfig, stepLr, warmupLr, constantLr } from './train/schedules.js';
import { softmaxCrossEntropyLoss } from './train/losses.js';
import { evaluate, fit, predict } from './train/fit.js';

/** Runs f and returns the UnknownOptionError it throws (failing the test if it throws anything else). */
function unknownOption(f: () => unknown): UnknownOptionError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UnknownOptionError);
    expect(e).toBeInstanceOf(ArgumentError);
    return e as UnknownOptionError;
  }
  throw new Error('expected an UnknownOptionError, nothing was thrown');
}

async function unknownOptionAsync(f: () => Promise<unknown>): Promise<UnknownOptionError> {
  const e = await f().then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(UnknownOptionError);
  return e as UnknownOptionError;
}

beforeAll(async () => {
  await setBackend(await createCpuBackend());
});

describe('checkOptionKeys', () => {
  it('names the function, the unknown key, its value and the accepted keys', () => {
    const e = unknownOption(() => checkOptionKeys('f', { a: 1, b: 2 }, ['a']));
    expect(e.message).toBe("f: unknown option 'b' (value 2); f takes a");
    expect(e.argument).toBe('b');
    expect(e.value).toBe(2);
    expect(e.accepted).toEqual(['a']);
    expect(e.code).toBe('ARGUMENT');
  });

  it('accepts known keys, undefined values of known keys, and leaves non-objects to the caller', () => {
    const o = { a: 1, b: undefined };
    expect(checkOptionKeys('f', o, ['a', 'b'])).toBe(o);
    expect(checkOptionKeys('f', undefined, ['a'])).toBeUndefined();
    expect(checkOptionKeys('f', null, ['a'])).toBeNull();
  });

  it('flags a key set to undefined too (it is still a typo)', () => {
    expect(unknownOption(() => checkOptionKeys('f', { stirde: undefined }, ['stride'])).argument).toBe('stirde');
  });

  it('optionKeys lists the keys of the literal, which the compiler checks against the type', () => {
    expect(optionKeys<{ a?: number; b: string }>({ a: 1, b: 1 })).toEqual(['a', 'b']);
    // @ts-expect-error a key of the type is missing from the list
    optionKeys<{ a?: number; b: string }>({ a: 1 });
    // @ts-expect-error a key not in the type
    optionKeys<{ a?: number }>({ a: 1, c: 1 });
  });
});

describe('ops', () => {
  it("maxPool2d(x, { window: 3, dilation: 2 }) throws, naming 'dilation' (issue 18)", () => {
    const x = zeros([1, 1, 6, 6]);
    const e = unknownOption(() => maxPool2d(x, { window: 3, dilation: 2 } as never));
    expect(e.message).toBe("maxPool2d: unknown option 'dilation' (value 2); maxPool2d takes window, stride, padding, ceilMode, countIncludePad");
    expect(unknownOption(() => avgPool2d(x, { window: 2, countIncludePadding: false } as never)).argument).toBe('countIncludePadding');
    expect(unknownOption(() => maxPool1d(zeros([1, 1, 6]), { window: 2, dilation: 2 } as never)).message).toMatch(/^maxPool1d: unknown option 'dilation'/);
  });

  it('conv, matMul, batchNorm and optimizer steps', () => {
    const x = zeros([1, 2, 5, 5]);
    const w = zeros([3, 2, 3, 3]);
    expect(unknownOption(() => conv2d(x, w, { strides: 2 } as never)).message).toMatch(/^conv2d: unknown option 'strides'.*takes stride, padding, dilation, groups, bias, residual, activation$/);
    expect(unknownOption(() => conv1d(zeros([1, 2, 5]), zeros([3, 2, 3]), { dilations: 2 } as never)).message).toMatch(/^conv1d: unknown option 'dilations'/);
    expect(unknownOption(() => matMul(zeros([2, 3]), zeros([3, 2]), { transpose: true } as never)).message).toMatch(/^matMul: unknown option 'transpose'/);
    const g = tensor([1, 1], [2]);
    expect(unknownOption(() => batchNorm(zeros([2, 2]), g, g, { training: true, eps: 1e-3 } as never)).message).toMatch(/^batchNorm: unknown option 'eps'/);
    const p = zeros([2]);
    expect(unknownOption(() => sgdUpdate(p, p, p, { lr: 1, momentum: 0, nesterov: false, weightDecay: 0, dampening: 0 } as never)).argument).toBe('dampening');
    expect(
      unknownOption(() => adamUpdate(p, p, p, p, { lr: 1, beta1: 0.9, beta2: 0.9, epsilon: 1, weightDecay: 0, decoupled: false, step: 1, amsgrad: true } as never)).argument,
    ).toBe('amsgrad');
  });

  it('valid options still work', async () => {
    const y = maxPool2d(tensor([1, 2, 3, 4], [1, 1, 2, 2]), { window: 2, stride: undefined, padding: 'valid', ceilMode: false });
    expect(Array.from(await y.data())).toEqual([4]);
  });
});

describe('layers', () => {
  it('every built-in layer rejects an unknown key, naming the layer class', () => {
    const cases: [string, () => unknown][] = [
      ['Conv2D', () => new Conv2D({ filters: 2, kernelSize: 3, dilations: 2 } as never)],
      ['Conv1D', () => new Conv1D({ filters: 2, kernelSize: 3, bias: true } as never)],
      ['Dense', () => new Dense({ units: 2, bias: false } as never)],
      ['MaxPool2D', () => new MaxPool2D({ window: 3, dilation: 2 } as never)],
      ['AvgPool1D', () => new AvgPool1D({ window: 3, dilation: 2 } as never)],
      ['GlobalMaxPool2D', () => new GlobalMaxPool2D({ keepDims: true } as never)],
      ['AdaptiveAvgPool2D', () => new AdaptiveAvgPool2D({ outputSize: 2, mode: 'x' } as never)],
      ['Flatten', () => new Flatten({ startDim: 1 } as never)],
      ['ReLU', () => new ReLU({ inplace: true } as never)],
      ['Softmax', () => new Softmax({ axis: 1 } as never)],
      ['LeakyReLU', () => new LeakyReLU({ negativeSlope: 0.2 } as never)],
      ['ELU', () => new ELU({ alhpa: 1 } as never)],
      ['Dropout', () => new Dropout({ rate: 0.5, p: 0.5 } as never)],
      ['BatchNorm2D', () => new BatchNorm2D({ eps: 1e-3 } as never)],
      ['Add', () => new Add({ axis: 1 } as never)],
      ['Concat', () => new Concat({ dim: 1 } as never)],
    ];
    for (const [type, make] of cases) expect(unknownOption(make).message).toMatch(new RegExp(`^${type}: unknown option '`));
  });

  it('layerFromJSON rejects an unknown key in a config; the configs layers write still load', () => {
    expect(unknownOption(() => layerFromJSON({ type: 'MaxPool2D', window: 2, dilation: 2 })).argument).toBe('dilation');
    for (const l of [new Conv2D({ name: 'c', filters: 2, kernelSize: 3, padding: 'same' }), new MaxPool2D({ window: 3, stride: 2, ceilMode: true }), new Dropout({ rate: 0.1 })]) {
      expect(layerFromJSON(l.toJSON()).toJSON()).toEqual(l.toJSON());
    }
  });

  it('a custom layer that passes no key list is not checked', () => {
    class Custom extends Layer {
      readonly type = 'Custom';
      constructor(options: { name?: string; units: number }) {
        super(options);
      }
      protected computeOutputShape(): number[] {
        return [1];
      }
      call(): never {
        throw new Error('unused');
      }
      getConfig(): Record<string, unknown> {
        return {};
      }
    }
    expect(() => new Custom({ units: 3 })).not.toThrow();
  });
});

describe('models, optimizers, schedules and training', () => {
  it('zoo models and poolToStridedConv', () => {
    expect(unknownOption(() => lenet5({ numClasess: 5 } as never)).message).toMatch(/^lenet5: unknown option 'numClasess'.*takes name, seed, rng, numClasses, inputShape, activation, pooling$/);
    expect(unknownOption(() => createModel('lenet5', { classes: 5 })).argument).toBe('classes');
    expect(unknownOption(() => vgg11({ batchnorm: true } as never)).argument).toBe('batchnorm');
    expect(unknownOption(() => resnet20({ width: 2 } as never)).argument).toBe('width');
    expect(() => createModel('resnet20', { numClasses: 4, seed: 1 })).not.toThrow();
    expect(unknownOption(() => poolToStridedConv(lenet5(), { activaton: 'relu' } as never)).argument).toBe('activaton');
  });

  it('optimizers and createOptimizer', () => {
    expect(unknownOption(() => new Sgd({ lr: 0.1, nesterow: true } as never)).message).toMatch(/^Sgd: unknown option 'nesterow'/);
    expect(unknownOption(() => new Adam({ betas: [0.9, 0.99] } as never)).message).toMatch(/^Adam: unknown option 'betas'/);
    expect(unknownOption(() => new AdamW({ amsgrad: true } as never)).message).toMatch(/^AdamW: unknown option 'amsgrad'/);
    expect(unknownOption(() => createOptimizer({ type: 'sgd', lr: 0.1, dampening: 0 })).argument).toBe('dampening');
    const adam = new Adam({ lr: 0.01 });
    expect(createOptimizer(adam.config).config).toEqual(adam.config);
  });

  it('schedules; scheduleFromConfig still rebuilds every kind', () => {
    expect(unknownOption(() => stepLr({ lr: 1, stepSize: 2, decay: 0.5 } as never)).argument).toBe('decay');
    expect(unknownOption(() => cosineLr({ lr: 1, totalSteps: 2, etaMin: 0 } as never)).argument).toBe('etaMin');
    expect(unknownOption(() => warmupLr({ warmupSteps: 2, start: 0.1 } as never, constantLr(1))).argument).toBe('start');
    const s = warmupLr({ warmupSteps: 2 }, cosineLr({ lr: 1, totalSteps: 10 }));
    expect(scheduleFromConfig(s.config).config).toEqual(s.config);
    const st = stepLr({ lr: 1, stepSize: 2 });
    expect(scheduleFromConfig(st.config)(5)).toBe(st(5));
  });

  it('loss, fit, evaluate and predict', async () => {
    const logits = zeros([2, 3]);
    expect(unknownOption(() => softmaxCrossEntropyLoss(logits, [0, 1], { smoothing: 0.1 } as never)).argument).toBe('smoothing');
    const model = lenet5({ inputShape: [1, 16, 16], numClasses: 2 });
    const data = { images: new Float32Array(2 * 256), labels: new Int32Array([0, 1]), count: 2, numClasses: 2, shape: [1, 16, 16] } as never;
    expect((await unknownOptionAsync(() => fit(model, data, { epochs: 1, batchsize: 2 } as never))).message).toMatch(/^fit: unknown option 'batchsize'/);
    expect((await unknownOptionAsync(() => fit(model, data, { epochs: 1, earlyStopping: { patience: 1, mode: 'min' } } as never))).message).toMatch(
      /^fit earlyStopping: unknown option 'mode'/,
    );
    expect((await unknownOptionAsync(() => fit(model, data, { epochs: 1, callbacks: { onEpochBegin: () => {} } } as never))).argument).toBe('onEpochBegin');
    expect((await unknownOptionAsync(() => evaluate(model, data, { batch: 2 } as never))).argument).toBe('batch');
    expect((await unknownOptionAsync(() => predict(model, new Float32Array(256), { k: 2 } as never))).argument).toBe('k');
  });
});
