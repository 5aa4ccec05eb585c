import { describe, expect, it } from 'vitest';
import fixture from './fixtures/param-counts.json' with { type: 'json' };
import type { LayerConfig } from './types.js';
import { Conv1D, Conv2D, Dense, Flatten, GlobalAvgPool1D, MaxPool1D, MaxPool2D, AvgPool2D, ReLU } from '../layers/index.js';
import { Sequential, graph, modelFromJSON } from './model.js';
import { poolToStridedConv } from './transform.js';
import { allCnnC, cnnC, convPoolCnnC, createModel, googlenet, lenet5, modelNames, modelZoo, resnet18, resnet20 } from './zoo/index.js';

// Building a model creates no tensor: everything here runs without a backend.

describe('model zoo parameter counts equal PyTorch (tools/models/param_counts.py)', () => {
  for (const [name, entry] of Object.entries(fixture.counts)) {
    it(`${name}: ${entry.trainable.toLocaleString('en-US')} trainable, ${entry.buffers} buffer values`, () => {
      const m = createModel(entry.model, entry.options as Record<string, unknown>);
      expect(m.countParams()).toEqual({ trainable: entry.trainable, nonTrainable: entry.buffers, total: entry.trainable + entry.buffers });
      expect(m.outputShape).toEqual([(entry.options as { numClasses?: number }).numClasses ?? modelZoo[entry.model]!.numClasses]);
    });
  }

  it('covers every zoo model', () => {
    const covered = new Set(Object.values(fixture.counts).map((e) => e.model));
    expect([...covered].sort()).toEqual(modelNames().sort());
  });

  it('LeNet-5 is the 61,706-parameter variant', () => {
    const m = lenet5();
    expect(m.inputShape).toEqual([1, 28, 28]);
    expect(m.layers.map((l) => [l.name, l.outputShape])).toEqual([
      ['conv1', [6, 28, 28]],
      ['pool1', [6, 14, 14]],
      ['conv2', [16, 10, 10]],
      ['pool2', [16, 5, 5]],
      ['flatten', [400]],
      ['fc1', [120]],
      ['fc2', [84]],
      ['fc3', [10]],
    ]);
    expect(lenet5({ activation: 'tanh', pooling: 'avg' }).countParams().trainable).toBe(61_706);
  });

  it('uses torchvision parameter names for ResNet-18 and ends the C models on a 6x6 map', () => {
    const names = resnet18().parameters().map((p) => p.name);
    expect(names.slice(0, 6)).toEqual(['conv1.weight', 'bn1.weight', 'bn1.bias', 'bn1.runningMean', 'bn1.runningVar', 'layer1.0.conv1.weight']);
    expect(names).toContain('layer2.0.downsample.0.weight');
    expect(names).toContain('fc.bias');
    expect(new Set(names).size).toBe(names.length);
    const c = allCnnC();
    expect(c.layers.find((l) => l.name === 'conv9')!.outputShape).toEqual([10, 6, 6]);
    expect(c.layers.filter((l) => l.type === 'Dropout').map((l) => (l as unknown as { rate: number }).rate)).toEqual([0.2, 0.5, 0.5]);
  });

  it('createModel names the valid models when given an unknown one', () => {
    expect(() => createModel('resnet50')).toThrow(/name is 'resnet50' but expected one of lenet5, ccpccp, cnnC, stridedCnnC, convPoolCnnC, allCnnC, alexnet, vgg11, vgg16, googlenet, resnet20, resnet18/);
    expect(() => createModel('lenet5', { numClasses: 0 })).toThrow(/numClasses is 0/);
    expect(() => createModel('vgg11', { inputShape: [3, 16, 16] })).toThrow(/layer 'features.\d+' \(MaxPool2D\) with input shape \[512,1,1\]/);
  });
});

describe('JSON and summary', () => {
  it('round-trips every zoo model through JSON', () => {
    for (const name of modelNames()) {
      const m = createModel(name, { inputShape: modelZoo[name]!.inputShape });
      const json = JSON.parse(JSON.stringify(m.toJSON())) as LayerConfig;
      const back = modelFromJSON(json);
      expect(back.toJSON()).toEqual(m.toJSON());
      expect(back.countParams()).toEqual(m.countParams());
      expect(back.summary()).toEqual(m.summary());
    }
  });

  it('rejects unknown layer and model types, naming them and the known ones', () => {
    const json = lenet5().toJSON();
    (json.layers as LayerConfig[])[1] = { type: 'FancyPool', name: 'pool1' };
    expect(() => modelFromJSON(json)).toThrow(/type is 'FancyPool' but expected a known layer type: Conv1D, Conv2D, MaxPool1D, MaxPool2D/);
    expect(() => modelFromJSON({ type: 'Functional' })).toThrow(/type is 'Functional' but expected a known model type: Sequential, Graph/);
    const g = resnet20().toJSON();
    (g.nodes as LayerConfig[])[3]!.inputs = ['nowhere'];
    expect(() => modelFromJSON(g)).toThrow(/input of node 'layer1.0.conv1' is 'nowhere' but expected 'input' or an earlier node/);
  });

  it('prints a Keras-like summary with totals and graph connections', () => {
    const s = resnet20().summary();
    expect(s).toMatch(/^Model: "resnet20"/);
    expect(s).toMatch(/layer1\.0\.add \(Add\)\s+\(None, 16, 32, 32\)\s+0\s+layer1\.0\.bn2, relu/);
    expect(s).toMatch(/layer2\.0\.downsample\.0 \(Conv2D\)\s+\(None, 32, 16, 16\)\s+512/);
    expect(s).toContain('Total params: 274,042');
    expect(s).toContain('Trainable params: 272,474');
    expect(s).toContain('Non-trainable params: 1,568');
  });

  it('names unnamed layers by type and rejects duplicates', () => {
    const m = new Sequential([new Conv2D({ filters: 2, kernelSize: 1 }), new ReLU(), new Conv2D({ filters: 2, kernelSize: 1 }), new Flatten(), new Dense({ units: 2 })], { inputShape: [1, 2, 2] });
    expect(m.layers.map((l) => l.name)).toEqual(['conv2d_1', 'relu_1', 'conv2d_2', 'flatten_1', 'dense_1']);
    expect(() => new Sequential([new ReLU({ name: 'x' }), new ReLU({ name: 'x' })], { inputShape: [2] })).toThrow(/layer name is 'x' but expected unique layer names/);
    const reused = new ReLU();
    new Sequential([reused], { inputShape: [2] });
    expect(() => new Sequential([reused], { inputShape: [2] })).toThrow(/already built/);
  });

  it('prunes graph nodes that do not feed the output', () => {
    const g = graph([3]);
    const a = g.add(new Dense({ name: 'a', units: 4 }), g.input);
    g.add(new Dense({ name: 'unused', units: 4 }), a);
    const m = g.build(g.add(new Dense({ name: 'out', units: 2 }), a));
    expect(m.layers.map((l) => l.name)).toEqual(['a', 'out']);
    expect(m.toJSON().nodes).toEqual([
      expect.objectContaining({ name: 'a', inputs: ['input'] }),
      expect.objectContaining({ name: 'out', inputs: ['a'] }),
    ]);
  });
});

describe('poolToStridedConv', () => {
  const shapes = (m: { layers: { type: string; outputShape: readonly number[] }[] }) => m.layers.map((l) => l.outputShape);

  it('turns ConvPool-CNN-C into a strided-conv net: same shapes, + one 3x3 conv per pool', () => {
    const src = convPoolCnnC();
    const out = poolToStridedConv(src);
    expect(out.layers.some((l) => l.type === 'MaxPool2D')).toBe(false);
    expect(shapes(out)).toEqual(shapes(src));
    expect(out.countParams().trainable - src.countParams().trainable).toBe(96 * 96 * 9 + 96 + 192 * 192 * 9 + 192);
    expect(out.countParams().trainable).toBe(1_369_738 + 415_008);
    const pool1 = out.getLayer('pool1') as Conv2D;
    expect(pool1.toJSON()).toMatchObject({ type: 'Conv2D', filters: 96, kernelSize: [3, 3], stride: [2, 2], padding: [1, 1, 1, 1], activation: 'relu' });
    expect(out.name).toBe('convPoolCnnC-strided');
  });

  it('turns model C into All-CNN-C (the paper\'s derivation)', () => {
    const out = poolToStridedConv(cnnC());
    const ref = allCnnC();
    expect(out.layers.map((l) => l.type)).toEqual(ref.layers.map((l) => l.type));
    expect(shapes(out)).toEqual(shapes(ref));
    expect(out.countParams()).toEqual(ref.countParams());
  });

  it('works on graph models and keeps ceil-mode output sizes (GoogLeNet) and on 1D pools', () => {
    const src = googlenet({ inputShape: [3, 64, 64], numClasses: 10 });
    const out = poolToStridedConv(src, { activation: 'linear' });
    expect(out.layers.filter((l) => l.type === 'MaxPool2D')).toHaveLength(0);
    expect(shapes(out)).toEqual(shapes(src));
    // maxpool1: 3x3 stride 2 ceil mode on 32x32 -> 16x16 needs one extra bottom/right pad
    expect(out.getLayer('maxpool1').toJSON()).toMatchObject({ padding: [0, 1, 0, 1], activation: 'linear' });
    expect(out.toJSON().type).toBe('Graph');

    const seq = new Sequential(
      [new Conv1D({ name: 'c', filters: 4, kernelSize: 3 }), new MaxPool1D({ name: 'p', window: 2, ceilMode: true }), new GlobalAvgPool1D({ name: 'g' })],
      { inputShape: [2, 11] },
    );
    const s1 = poolToStridedConv(seq);
    expect(s1.getLayer('p').toJSON()).toMatchObject({ type: 'Conv1D', filters: 4, kernelSize: 2, stride: 2, padding: [0, 1] });
    expect(shapes(s1)).toEqual(shapes(seq));
    expect(s1.countParams().trainable - seq.countParams().trainable).toBe(4 * 4 * 2 + 4);
    const avg = new Sequential([new AvgPool2D({ name: 'a', window: [2, 3], stride: [2, 1] }), new MaxPool2D({ name: 'm', window: 2, padding: 'same' })], { inputShape: [3, 7, 7] });
    expect(shapes(poolToStridedConv(avg))).toEqual(shapes(avg));
  });

  it('leaves models without pooling unchanged in shape and count', () => {
    const m = resnet20();
    const out = poolToStridedConv(m);
    expect(out.countParams()).toEqual(m.countParams());
    expect(out.toJSON().nodes).toEqual(m.toJSON().nodes);
  });
});
