import { beforeAll, describe, expect, it } from 'vitest';
import { createCpuBackend } from '@stridenet/cpu-js';
import { memory, setBackend } from '../engine.js';
import { FormatError } from '../errors.js';
import { fit, type EpochLogs, type FitOptions, type TrainState } from '../train/fit.js';
import { Adam, AdamW, Sgd } from '../train/optimizers.js';
import { cosineLr } from '../train/schedules.js';
import { syntheticData, TinyModel, weightsOf } from '../train/tiny-model.testutil.js';
import { decodeCheckpoint, encodeCheckpoint, restoreCheckpoint } from './checkpoint.js';
import { decodeSafetensors, encodeSafetensors, entryToFloat32 } from './safetensors.js';
import { encodeWeights, loadWeights } from './weights.js';

beforeAll(async () => {
  await setBackend(await createCpuBackend());
});

const strip = (h: EpochLogs[]) => h.map(({ seconds: _s, ...rest }) => rest);

function errorOf(fn: () => unknown): FormatError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(FormatError);
    return e as FormatError;
  }
  throw new Error('expected a FormatError');
}

async function expectSameWeights(a: TinyModel, b: TinyModel): Promise<void> {
  const wa = await weightsOf(a);
  const wb = await weightsOf(b);
  wa.forEach((t, i) => expect(Array.from(wb[i]!)).toEqual(Array.from(t)));
}

describe('weights', () => {
  it('save and load round-trip, architecture in the metadata', async () => {
    const a = new TinyModel(1);
    const b = new TinyModel(2);
    const bytes = await encodeWeights(a, { trainedOn: 'synthetic' });
    const md = loadWeights(b, bytes, 'tiny.safetensors');
    expect(md.format).toBe('stridenet.weights');
    expect(JSON.parse(md.architecture!)).toEqual(a.toJSON());
    expect(md.trainedOn).toBe('synthetic');
    await expectSameWeights(a, b);
    a.dispose();
    b.dispose();
  });

  it('checks every name, shape and dtype before replacing anything', async () => {
    const src = new TinyModel(1);
    const target = new TinyModel(2);
    const before = await weightsOf(target);
    const live = memory().tensors;
    const entries = decodeSafetensors(await encodeWeights(src)).tensors;
    const tensors = [...entries.values()].map((e) => ({ name: e.name, shape: e.shape, data: entryToFloat32(e) }));
    const variants: [string, typeof tensors, RegExp][] = [
      ['missing', tensors.filter((t) => t.name !== 'dense.bias'), /missing tensor 'dense\.bias' \(model 'tiny' expects F32 \[3\]\)/],
      ['shape', tensors.map((t) => (t.name === 'dense.weight' ? { ...t, shape: [3, 27] } : t)), /tensor 'dense\.weight' has shape \[3,27\] but model 'tiny' expects \[27,3\]/],
      ['extra', [...tensors, { name: 'fc9.weight', shape: [1], data: new Float32Array(1) }], /unexpected tensor 'fc9\.weight'/],
      ['dtype', tensors.map((t) => (t.name === 'conv.bias' ? { ...t, data: Int32Array.from(t.data) } : t)) as typeof tensors, /tensor 'conv\.bias' is I32 but parameter 'conv\.bias' of model 'tiny' needs a float dtype/],
    ];
    for (const [, list, message] of variants) {
      const err = errorOf(() => loadWeights(target, encodeSafetensors(list), 'bad.safetensors'));
      expect(err.message).toMatch(/^bad\.safetensors: weights do not fit the model: /);
      expect(err.message).toMatch(message);
      expect(err.file).toBe('bad.safetensors');
    }
    const truncated = (await encodeWeights(src)).subarray(0, 200);
    expect(errorOf(() => loadWeights(target, truncated, 'cut.safetensors')).message).toMatch(/^cut\.safetensors: truncated/);
    const after = await weightsOf(target);
    after.forEach((t, i) => expect(Array.from(t)).toEqual(Array.from(before[i]!)));
    expect(memory().tensors).toBe(live);
    src.dispose();
    target.dispose();
  });
});

describe('checkpoints', () => {
  const data = syntheticData(36);
  const options = (): FitOptions => ({
    epochs: 3,
    batchSize: 8,
    seed: 99,
    validationSplit: 0.25,
    labelSmoothing: 0.05,
    schedule: cosineLr({ lr: 0.02, totalSteps: 12 }),
    augment: (batch, { rng }) => {
      const n = rng.uniform(batch.images.length, -0.1, 0.1);
      for (let i = 0; i < n.length; i++) batch.images[i] += n[i]!;
    },
  });

  for (const [label, makeOpt, stopAt] of [
    ['Adam, stopped mid-epoch', () => new Adam({ lr: 0.02 }), 5],
    ['SGD+Nesterov, stopped at an epoch end', () => new Sgd({ lr: 0.02, momentum: 0.9, nesterov: true }), 8],
    ['AdamW, stopped after the last batch of an epoch', () => new AdamW({ lr: 0.02 }), 4],
  ] as const) {
    it(`resuming continues bit for bit (${label})`, async () => {
      const straightModel = new TinyModel(4, 3, 0.3);
      const straight = await fit(straightModel, data, { ...options(), optimizer: makeOpt() });
      expect(straight.state.step).toBe(12);

      const firstModel = new TinyModel(4, 3, 0.3);
      const firstOpt = makeOpt();
      let bytes: Uint8Array | null = null;
      const save = async (state: TrainState) => {
        bytes = await encodeCheckpoint({ model: firstModel, optimizer: firstOpt, state, run: { note: 'half' } });
        return 'stop' as const;
      };
      const first = await fit(firstModel, data, {
        ...options(),
        optimizer: firstOpt,
        callbacks: {
          // Step 8 ends epoch 1: checkpoint after its validation, as a CLI would per epoch.
          onBatchEnd: (info) => (info.step === stopAt && stopAt !== 8 ? save(info.state) : undefined),
          onEpochEnd: (info) => (info.state.step === stopAt && stopAt === 8 ? save(info.state) : undefined),
        },
      });
      expect(first.stopReason).toBe('callback');
      first.optimizer.dispose();
      firstModel.dispose();

      // Fresh objects, as in a new process: a differently initialised model, no optimizer.
      const resumedModel = new TinyModel(777, 3, 0.3);
      const ckpt = decodeCheckpoint(bytes!, 'run/ckpt.safetensors');
      expect(ckpt.run).toEqual({ note: 'half' });
      expect(ckpt.architecture).toEqual(resumedModel.toJSON());
      const restored = restoreCheckpoint(ckpt, resumedModel);
      expect(restored.state!.step).toBe(stopAt);
      const resumed = await fit(resumedModel, data, { ...options(), optimizer: restored.optimizer!, resume: restored.state! });
      expect(resumed.stopReason).toBe('completed');
      expect(resumed.state.step).toBe(12);
      await expectSameWeights(straightModel, resumedModel);
      expect(strip(resumed.history)).toEqual(strip(straight.history));
      expect(await resumed.optimizer.exportState().then((s) => s.slots.map((x) => Array.from(x.data)))).toEqual(
        await straight.optimizer.exportState().then((s) => s.slots.map((x) => Array.from(x.data))),
      );
      for (const x of [straight.optimizer, resumed.optimizer]) x.dispose();
      straightModel.dispose();
      resumedModel.dispose();
    });
  }

  it('bad checkpoints name the file and the problem, and leave model and optimizer unchanged', async () => {
    const model = new TinyModel(5);
    const opt = new Adam({ lr: 0.01 });
    await fit(model, syntheticData(8), { epochs: 1, batchSize: 8, optimizer: opt });
    const good = await encodeCheckpoint({ model, optimizer: opt, state: undefined });
    const target = new TinyModel(6, 3);
    const targetOpt = new Sgd({ lr: 0.1 });
    const before = await weightsOf(target);

    expect(errorOf(() => decodeCheckpoint(good.subarray(0, good.length - 5), 'c.ckpt')).message).toMatch(/^c\.ckpt: truncated or out of range/);
    const wrongMagic = good.slice();
    wrongMagic[8] = 0x50;
    expect(errorOf(() => decodeCheckpoint(wrongMagic, 'c.ckpt')).message).toMatch(/^c\.ckpt: header does not start with/);
    const weightsOnly = await encodeWeights(model);
    expect(errorOf(() => decodeCheckpoint(weightsOnly, 'w.safetensors')).message).toMatch(/metadata format is "stridenet.weights" but expected "stridenet.checkpoint"/);

    // Optimizer type mismatch with the one passed in.
    expect(errorOf(() => restoreCheckpoint(decodeCheckpoint(good, 'c.ckpt'), target, targetOpt)).message).toMatch(/c\.ckpt: optimizer is 'adam' but the run's optimizer is 'sgd'/);
    // Shape mismatch with the model (a 4-class model).
    const wide = new TinyModel(6, 4);
    const wideBefore = await weightsOf(wide);
    expect(errorOf(() => restoreCheckpoint(decodeCheckpoint(good, 'c.ckpt'), wide)).message).toMatch(/tensor 'dense\.weight' has shape \[27,3\] but model 'tiny' expects \[27,4\]/);
    (await weightsOf(wide)).forEach((t, i) => expect(Array.from(t)).toEqual(Array.from(wideBefore[i]!)));
    wide.dispose();

    // Tampered metadata: optimizer slot with the wrong shape; train state with a bad RNG.
    const st = decodeSafetensors(good);
    const rebuild = (mutate: (t: { name: string; shape: number[]; data: Float32Array }[], md: Record<string, string>) => void) => {
      const list = [...st.tensors.values()].map((e) => ({ name: e.name, shape: [...e.shape], data: entryToFloat32(e) }));
      const md = { ...st.metadata };
      mutate(list, md);
      return encodeSafetensors(list, md);
    };
    const badSlot = rebuild((l) => {
      const s = l.find((t) => t.name === 'optimizer/m/conv.bias')!;
      s.shape = [1, 3];
    });
    expect(errorOf(() => restoreCheckpoint(decodeCheckpoint(badSlot, 'c.ckpt'), target)).message).toMatch(/optimizer slot 'm\/conv\.bias' has shape \[1,3\] but parameter 'conv\.bias' is \[3\]/);
    const badState = rebuild((_, md) => {
      md.train = JSON.stringify({ format: 'stridenet.train-state', version: 1, seed: 0, batchSize: 1, trainCount: 1, valCount: 0, epoch: 0, batch: 0, step: 0, epochLossSum: 0, epochCorrect: 0, epochSeen: 0, history: [], earlyStopping: null, dropoutRng: { key: [1] }, augmentRng: { key: [0, 0], counter: [0, 0, 0, 0] } });
    });
    expect(errorOf(() => decodeCheckpoint(badState, 'c.ckpt')).message).toMatch(/c\.ckpt: train state has a bad RNG state/);
    const badJson = rebuild((_, md) => {
      md.architecture = '{"type": ';
    });
    expect(errorOf(() => decodeCheckpoint(badJson, 'c.ckpt')).message).toMatch(/c\.ckpt: metadata 'architecture' is not valid JSON/);

    (await weightsOf(target)).forEach((t, i) => expect(Array.from(t)).toEqual(Array.from(before[i]!)));
    expect(targetOpt.iterations).toBe(0);
    for (const x of [model, target]) x.dispose();
    opt.dispose();
    targetOpt.dispose();
  });
});
