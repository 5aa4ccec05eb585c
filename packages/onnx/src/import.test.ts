import { beforeAll, describe, expect, it } from 'vitest';
import { createCpuBackend } from '@stridenet/cpu-js';
import { FormatError, Rng, createModel, setBackend, tensor, type LayerModel } from '@stridenet/core';
import { encodeModel, exportOnnx, importOnnx, type OnnxGraph } from './index.js';

beforeAll(async () => {
  await setBackend(await createCpuBackend());
});

async function outputs(model: LayerModel, batch: number): Promise<Float32Array> {
  const x = tensor(new Rng(11).normal(batch * model.inputShape.reduce((a, b) => a * b, 1)), [batch, ...model.inputShape]);
  const y = model.forward(x, { training: false, rng: new Rng(0) });
  const out = await y.data();
  x.dispose();
  y.dispose();
  return out;
}

const zoo: { model: string; options: Record<string, unknown> }[] = [
  { model: 'lenet5', options: {} },
  { model: 'lenet5', options: { activation: 'tanh', pooling: 'avg' } },
  { model: 'ccpccp', options: {} },
  { model: 'allCnnC', options: { inputShape: [3, 16, 16] } },
  { model: 'alexnet', options: { numClasses: 10, hiddenUnits: 64, inputShape: [3, 64, 64] } },
  { model: 'vgg11', options: { numClasses: 10, hiddenUnits: 64, inputShape: [3, 32, 32] } },
  { model: 'googlenet', options: { numClasses: 10, inputShape: [3, 64, 64] } },
  { model: 'resnet20', options: { inputShape: [3, 16, 16] } },
  { model: 'resnet18', options: { numClasses: 10, inputShape: [3, 32, 32] } },
];

describe('importOnnx: export -> import round trip', () => {
  for (const run of zoo) {
    it(`${run.model} ${JSON.stringify(run.options)} gives identical outputs`, async () => {
      const model = createModel(run.model, { ...run.options, seed: 5 }) as LayerModel;
      const back = importOnnx(await exportOnnx(model), { file: `${run.model}.onnx` });
      expect(back.inputShape).toEqual(model.inputShape);
      expect(back.outputShape).toEqual(model.outputShape);
      expect(back.countParams().total).toBe(model.countParams().total);
      const [a, b] = [await outputs(model, 2), await outputs(back, 2)];
      let diff = 0;
      a.forEach((v, i) => (diff = Math.max(diff, Math.abs(v - b[i]!) / Math.max(1, Math.abs(v)))));
      expect(diff).toBeLessThan(1e-6);
      model.dispose();
      back.dispose();
    });
  }
});

describe('importOnnx: bad files', () => {
  const tiny = (): OnnxGraph => ({
    nodes: [{ op: 'Gemm', name: 'fc', inputs: ['input', 'w', 'b'], outputs: ['output'], attrs: { transB: 1 } }],
    initializers: [
      { name: 'w', shape: [2, 3], data: new Float32Array(6).fill(0.5) },
      { name: 'b', shape: [2], data: new Float32Array([1, 2]) },
    ],
    inputs: [{ name: 'input', shape: ['batch', 3] }],
    outputs: [{ name: 'output', shape: ['batch', 2] }],
  });
  const error = (f: () => unknown): FormatError => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(FormatError);
      return e as FormatError;
    }
    throw new Error('no error');
  };

  it('reads a valid tiny graph', async () => {
    const m = importOnnx(encodeModel(tiny()));
    expect(Array.from(await outputs(m, 1))).toHaveLength(2);
    m.dispose();
  });

  it('truncated, garbage, wrong opset and huge dims are FormatErrors', () => {
    const bytes = encodeModel(tiny());
    for (const cut of [1, 10, bytes.length - 3]) expect(error(() => importOnnx(bytes.subarray(0, cut), { file: 'cut.onnx' })).message).toMatch(/^cut\.onnx: /);
    expect(error(() => importOnnx(new Uint8Array([0xff, 0xff, 0xff]))).message).toMatch(/not a valid ONNX model/);
    expect(error(() => importOnnx(encodeModel(tiny(), { opset: 9 }))).message).toMatch(/opset is 9 but importOnnx reads opsets 11 to 21/);
    const huge = tiny();
    huge.initializers[0] = { name: 'w', shape: [1 << 20, 1 << 20], data: new Float32Array(6) };
    expect(error(() => importOnnx(encodeModel(huge))).message).toMatch(/initializer 'w' has 1099511627776 values, more than the 268435456 limit/);
    const short = tiny();
    short.initializers[0] = { name: 'w', shape: [2, 4], data: new Float32Array(6) };
    expect(error(() => importOnnx(encodeModel(short))).message).toMatch(/initializer 'w' has 24 bytes of raw_data but dims \[2,4\] need 32/);
  });

  it('missing initializers, cycles, unknown ops and unread attributes name the node', () => {
    const missing = tiny();
    missing.initializers.pop();
    expect(error(() => importOnnx(encodeModel(missing))).message).toMatch(/node 'fc' \(Gemm\): input 2 'b' must be an initializer/);
    const cycle = tiny();
    cycle.nodes = [
      { op: 'Relu', name: 'r1', inputs: ['h2'], outputs: ['h1'] },
      { op: 'Relu', name: 'r2', inputs: ['h1'], outputs: ['h2'] },
      ...cycle.nodes,
    ];
    expect(error(() => importOnnx(encodeModel(cycle))).message).toMatch(/node 'r1' \(Relu\): reads 'h2', which no earlier node or graph input produces/);
    const op = tiny();
    op.nodes.push({ op: 'Einsum', name: 'e', inputs: ['output'], outputs: ['o2'] });
    op.outputs[0]!.name = 'o2';
    expect(error(() => importOnnx(encodeModel(op))).message).toMatch(/node 'e' \(Einsum\): op 'Einsum' is not imported \(importOnnx reads Conv, Gemm/);
    const alpha = tiny();
    alpha.nodes[0]!.attrs = { transB: 1, alpha: { float: 2 } };
    expect(error(() => importOnnx(encodeModel(alpha))).message).toMatch(/node 'fc' \(Gemm\): import reads Gemm with alpha 1/);
    const input = tiny();
    input.inputs[0]!.shape = ['batch', 'features'];
    expect(error(() => importOnnx(encodeModel(input))).message).toMatch(/input 'input' has shape \["batch","features"\] but expected \[batch, \.\.\.fixed positive sizes\]/);
  });
});
