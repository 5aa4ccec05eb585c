import {
  AdaptiveAvgPool2D,
  Add,
  AvgPool1D,
  AvgPool2D,
  BatchNorm1D,
  BatchNorm2D,
  Concat,
  Conv1D,
  Conv2D,
  Dense,
  ELU,
  Flatten,
  FormatError,
  GlobalAvgPool1D,
  GlobalAvgPool2D,
  GlobalMaxPool1D,
  GlobalMaxPool2D,
  LeakyReLU,
  MaxPool1D,
  MaxPool2D,
  ReLU,
  Sigmoid,
  Softmax,
  Tanh,
  adaptiveAvgPoolMatrix,
  encodeSafetensors,
  graph,
  loadWeights,
  type GraphModel,
  type GraphNode,
  type Layer,
  type SafetensorsInput,
} from '@stridenet/core';
import { decodeModel, type DecodedNode, type DecodedTensor } from './decode.js';

export interface ImportOnnxOptions {
  /** Names the source in errors (default 'ONNX model'). */
  file?: string;
  /** The model's name (default: the file's graph input-output, 'onnx'). */
  name?: string;
}

/** The ops importOnnx reads. */
export const IMPORTED_OPS = ['Conv', 'Gemm', 'MatMul', 'BatchNormalization', 'Relu', 'LeakyRelu', 'Elu', 'Tanh', 'Sigmoid', 'Softmax', 'Dropout', 'Identity',
  'MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool', 'Flatten', 'Reshape', 'Add', 'Concat'] as const;

class Importer {
  readonly g;
  readonly values = new Map<string, GraphNode>();
  readonly weights: SafetensorsInput[] = [];
  readonly skip = new Set<DecodedNode>();
  readonly consumers = new Map<string, DecodedNode[]>();
  private readonly names = new Set<string>();

  constructor(readonly file: string, readonly opset: number, readonly inits: ReadonlyMap<string, DecodedTensor>, readonly nodes: DecodedNode[], inputName: string, inputShape: number[]) {
    this.g = graph(inputShape);
    this.values.set(inputName, this.g.input);
    for (const n of nodes) for (const i of n.inputs) this.consumers.set(i, [...(this.consumers.get(i) ?? []), n]);
  }

  fail(n: DecodedNode, problem: string): never {
    throw new FormatError(this.file, `node '${n.name}' (${n.op}): ${problem}`);
  }

  layerName(n: DecodedNode): string {
    // Layer names take letters, digits, _ . - (torch writes '/layer1/layer1.0/conv1/Conv').
    const base = (n.name || n.outputs[0] || n.op).replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^_+|_+$/g, '') || n.op;
    let name = base;
    for (let k = 2; this.names.has(name); k++) name = `${base}_${k}`;
    this.names.add(name);
    return name;
  }

  value(n: DecodedNode, i: number): GraphNode {
    const name = n.inputs[i];
    const v = name === undefined ? undefined : this.values.get(name);
    if (!v) {
      if (name !== undefined && this.inits.has(name)) this.fail(n, `input ${i} '${name}' is a constant, but import needs it computed from the graph input`);
      this.fail(n, `reads '${name}', which no earlier node or graph input produces (nodes out of order, a cycle, or a missing initializer)`);
    }
    return v;
  }

  init(n: DecodedNode, i: number, rank?: number): DecodedTensor {
    const t = this.inits.get(n.inputs[i] ?? '');
    if (!t) this.fail(n, `input ${i} '${n.inputs[i] ?? ''}' must be an initializer (a constant weight) but is ${n.inputs[i] ? 'computed' : 'absent'}`);
    if (rank !== undefined && t.dims.length !== rank) this.fail(n, `initializer '${t.name}' has dims [${t.dims.join(',')}] but expected rank ${rank}`);
    return t;
  }

  floats(n: DecodedNode, t: DecodedTensor): Float32Array {
    if (!(t.values instanceof Float32Array)) this.fail(n, `initializer '${t.name}' has data_type ${t.dataType} but expected FLOAT or DOUBLE`);
    return t.values;
  }

  ints(n: DecodedNode, name: string, fallback: number[]): number[] {
    const a = n.attrs.get(name);
    return a ? a.ints : fallback;
  }

  int(n: DecodedNode, name: string, fallback: number): number {
    return n.attrs.get(name)?.i ?? fallback;
  }

  float(n: DecodedNode, name: string, fallback: number): number {
    return n.attrs.get(name)?.f ?? fallback;
  }

  add(n: DecodedNode, layer: Layer, inputs: GraphNode | GraphNode[], out = n.outputs[0]!): GraphNode {
    try {
      const v = this.g.add(layer, inputs);
      this.values.set(out, v);
      return v;
    } catch (e) {
      if (e instanceof Error && !(e instanceof FormatError)) this.fail(n, e.message);
      throw e;
    }
  }

  weight(name: string, shape: number[], data: Float32Array): void {
    this.weights.push({ name, shape, data });
  }

  /** The only consumer of `n`'s output, when it is one node of type `op`. */
  next(n: DecodedNode, op: string): DecodedNode | undefined {
    const c = this.consumers.get(n.outputs[0]!) ?? [];
    return c.length === 1 && c[0]!.op === op ? c[0] : undefined;
  }

  /** No auto_pad other than NOTSET / VALID; pads as [top, bottom, left, right] or [left, right]. */
  pads(n: DecodedNode, spatial: number): number[] {
    const auto = n.attrs.get('auto_pad')?.s ?? 'NOTSET';
    if (auto !== 'NOTSET' && auto !== 'VALID') this.fail(n, `auto_pad is '${auto}' but import reads NOTSET or VALID (explicit pads)`);
    const p = auto === 'VALID' ? new Array(2 * spatial).fill(0) : this.ints(n, 'pads', new Array(2 * spatial).fill(0));
    if (p.length !== 2 * spatial) this.fail(n, `pads has ${p.length} entries but expected ${2 * spatial}`);
    return spatial === 2 ? [p[0]!, p[2]!, p[1]!, p[3]!] : [p[0]!, p[1]!];
  }
}

function conv(im: Importer, n: DecodedNode): void {
  const w = im.init(n, 1);
  const spatial = w.dims.length - 2;
  if (spatial !== 1 && spatial !== 2) im.fail(n, `weight '${w.name}' has dims [${w.dims.join(',')}] but import reads 1D and 2D convolutions`);
  const kernel = w.dims.slice(2);
  const ks = im.ints(n, 'kernel_shape', kernel);
  if (ks.join() !== kernel.join()) im.fail(n, `kernel_shape [${ks.join(',')}] does not match weight dims [${w.dims.join(',')}]`);
  const name = im.layerName(n);
  const bias = n.inputs[2] ? im.init(n, 2, 1) : undefined;
  const common = { name, filters: w.dims[0]!, groups: im.int(n, 'group', 1), useBias: bias !== undefined };
  const stride = im.ints(n, 'strides', new Array(spatial).fill(1));
  const dilation = im.ints(n, 'dilations', new Array(spatial).fill(1));
  const padding = im.pads(n, spatial);
  const layer =
    spatial === 2
      ? new Conv2D({ ...common, kernelSize: [kernel[0]!, kernel[1]!], stride: [stride[0]!, stride[1]!], dilation: [dilation[0]!, dilation[1]!], padding: padding as [number, number, number, number] })
      : new Conv1D({ ...common, kernelSize: kernel[0]!, stride: stride[0]!, dilation: dilation[0]!, padding: padding as [number, number] });
  im.add(n, layer, im.value(n, 0));
  im.weight(`${name}.weight`, w.dims, im.floats(n, w));
  if (bias) im.weight(`${name}.bias`, bias.dims, im.floats(n, bias));
}

function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return out;
}

function dense(im: Importer, n: DecodedNode): void {
  const gemm = n.op === 'Gemm';
  if (gemm && (im.float(n, 'alpha', 1) !== 1 || im.float(n, 'beta', 1) !== 1 || im.int(n, 'transA', 0) !== 0)) im.fail(n, 'import reads Gemm with alpha 1, beta 1 and transA 0');
  const x = im.value(n, 0);
  if (x.shape.length !== 1) im.fail(n, `input shape is [batch,${x.shape.join(',')}] but import reads [batch, features]`);
  const b = im.init(n, 1, 2);
  const transB = gemm && im.int(n, 'transB', 0) === 1;
  const [units, inFeatures] = transB ? [b.dims[0]!, b.dims[1]!] : [b.dims[1]!, b.dims[0]!];
  const weight = transB ? im.floats(n, b) : transpose(im.floats(n, b), b.dims[0]!, b.dims[1]!);
  const c = gemm && n.inputs[2] ? im.init(n, 2) : undefined;
  if (c && c.values.length !== units) im.fail(n, `bias '${c.name}' has dims [${c.dims.join(',')}] but expected [${units}]`);
  const name = im.layerName(n);
  im.add(n, new Dense({ name, units, useBias: c !== undefined }), x);
  im.weight(`${name}.weight`, [units, inFeatures], weight);
  if (c) im.weight(`${name}.bias`, [units], im.floats(n, c));
}

function batchNorm(im: Importer, n: DecodedNode): void {
  const x = im.value(n, 0);
  const name = im.layerName(n);
  const options = { name, epsilon: im.float(n, 'epsilon', 1e-5), momentum: 1 - im.float(n, 'momentum', 0.9) };
  im.add(n, x.shape.length === 3 ? new BatchNorm2D(options) : new BatchNorm1D(options), x);
  ['weight', 'bias', 'runningMean', 'runningVar'].forEach((p, i) => {
    const t = im.init(n, i + 1, 1);
    im.weight(`${name}.${p}`, t.dims, im.floats(n, t));
  });
}

function pool(im: Importer, n: DecodedNode): void {
  const x = im.value(n, 0);
  const k = im.ints(n, 'kernel_shape', []);
  const spatial = x.shape.length - 1;
  if (k.length !== spatial || (spatial !== 1 && spatial !== 2)) im.fail(n, `kernel_shape [${k.join(',')}] for input [batch,${x.shape.join(',')}]; import reads 1D and 2D pools`);
  if (im.ints(n, 'dilations', []).some((d) => d !== 1)) im.fail(n, 'dilations other than 1 are not imported');
  const stride = im.ints(n, 'strides', new Array(spatial).fill(1));
  const options = { name: im.layerName(n), ceilMode: im.int(n, 'ceil_mode', 0) === 1, padding: im.pads(n, spatial) };
  const max = n.op === 'MaxPool';
  const countIncludePad = im.int(n, 'count_include_pad', 0) === 1;
  const layer =
    spatial === 2
      ? max
        ? new MaxPool2D({ ...options, window: [k[0]!, k[1]!], stride: [stride[0]!, stride[1]!], padding: options.padding as [number, number, number, number] })
        : new AvgPool2D({ ...options, window: [k[0]!, k[1]!], stride: [stride[0]!, stride[1]!], padding: options.padding as [number, number, number, number], countIncludePad })
      : max
        ? new MaxPool1D({ ...options, window: k[0]!, stride: stride[0]!, padding: options.padding as [number, number] })
        : new AvgPool1D({ ...options, window: k[0]!, stride: stride[0]!, padding: options.padding as [number, number], countIncludePad });
  im.add(n, layer, x);
}

/** A Reshape to [batch, -1] (or [batch, features]) is a Flatten. */
function isFlatten(im: Importer, n: DecodedNode, x: GraphNode): boolean {
  if (n.op === 'Flatten') return im.int(n, 'axis', 1) === 1;
  const s = im.init(n, 1).values as number[];
  const size = x.shape.reduce((a, b) => a * b, 1);
  return s.length === 2 && (s[1] === -1 || s[1] === size);
}

function globalPool(im: Importer, n: DecodedNode): void {
  const x = im.value(n, 0);
  const flatten = im.next(n, 'Flatten') ?? im.next(n, 'Reshape');
  const avg = n.op === 'GlobalAveragePool';
  if (flatten && isFlatten(im, flatten, { ...x, shape: [x.shape[0]!] })) {
    im.skip.add(flatten);
    const layer = x.shape.length === 3 ? (avg ? new GlobalAvgPool2D({ name: im.layerName(n) }) : new GlobalMaxPool2D({ name: im.layerName(n) })) : avg ? new GlobalAvgPool1D({ name: im.layerName(n) }) : new GlobalMaxPool1D({ name: im.layerName(n) });
    im.add(n, layer, x, flatten.outputs[0]);
  } else if (avg && x.shape.length === 3) im.add(n, new AdaptiveAvgPool2D({ name: im.layerName(n), outputSize: 1 }), x);
  else im.fail(n, 'import reads a global pool followed by Flatten, or a 2D GlobalAveragePool');
}

/** Reshape [N,C,H*W] -> MatMul(averaging matrix) -> Reshape [N,C,oh,ow], as exportOnnx writes AdaptiveAvgPool2D. */
function reshape(im: Importer, n: DecodedNode): void {
  const x = im.value(n, 0);
  if (isFlatten(im, n, x)) return void im.add(n, new Flatten({ name: im.layerName(n) }), x);
  const matmul = im.next(n, 'MatMul');
  const back = matmul && im.next(matmul, 'Reshape');
  const [c, h, w] = x.shape;
  const target = back ? (im.init(back, 1).values as number[]) : [];
  if (matmul && back && x.shape.length === 3 && target.length === 4) {
    const [oh, ow] = [target[2]!, target[3]!];
    const m = im.floats(matmul, im.init(matmul, 1, 2));
    const want = adaptiveAvgPoolMatrix(h!, w!, oh, ow);
    if (target[1] === c && m.length === want.length && m.every((v, i) => Math.abs(v - want[i]!) < 1e-6)) {
      im.skip.add(matmul).add(back);
      return void im.add(n, new AdaptiveAvgPool2D({ name: im.layerName(n), outputSize: [oh, ow] }), x, back.outputs[0]);
    }
  }
  im.fail(n, `Reshape of [batch,${x.shape.join(',')}] is imported only as a flatten to [batch, -1] or as exportOnnx's adaptive average pool`);
}

function importNode(im: Importer, n: DecodedNode): void {
  const simple: Record<string, () => Layer> = {
    Relu: () => new ReLU({ name: im.layerName(n) }),
    Tanh: () => new Tanh({ name: im.layerName(n) }),
    Sigmoid: () => new Sigmoid({ name: im.layerName(n) }),
    LeakyRelu: () => new LeakyReLU({ name: im.layerName(n), alpha: im.float(n, 'alpha', 0.01) }),
    Elu: () => new ELU({ name: im.layerName(n), alpha: im.float(n, 'alpha', 1) }),
  };
  if (n.domain !== '' && n.domain !== 'ai.onnx') im.fail(n, `domain '${n.domain}' is not the default ONNX domain`);
  if (simple[n.op]) return void im.add(n, simple[n.op]!(), im.value(n, 0));
  switch (n.op) {
    case 'Conv':
      return conv(im, n);
    case 'Gemm':
    case 'MatMul':
      return dense(im, n);
    case 'BatchNormalization':
      return batchNorm(im, n);
    case 'MaxPool':
    case 'AveragePool':
      return pool(im, n);
    case 'GlobalAveragePool':
    case 'GlobalMaxPool':
      return globalPool(im, n);
    case 'Reshape':
      return reshape(im, n);
    case 'Flatten': {
      const x = im.value(n, 0);
      if (!isFlatten(im, n, x)) im.fail(n, `axis is ${im.int(n, 'axis', 1)} but import reads Flatten with axis 1`);
      return void (x.shape.length === 1 ? im.values.set(n.outputs[0]!, x) : im.add(n, new Flatten({ name: im.layerName(n) }), x));
    }
    case 'Dropout':
    case 'Identity':
      return void im.values.set(n.outputs[0]!, im.value(n, 0));
    case 'Softmax': {
      const x = im.value(n, 0);
      const axis = im.int(n, 'axis', im.opset < 13 ? 1 : -1);
      if (x.shape.length !== 1 || (axis !== 1 && axis !== -1)) im.fail(n, `Softmax over axis ${axis} of [batch,${x.shape.join(',')}]; import reads the features axis of [batch, features]`);
      return void im.add(n, new Softmax({ name: im.layerName(n) }), x);
    }
    case 'Add':
      return void im.add(n, new Add({ name: im.layerName(n) }), [im.value(n, 0), im.value(n, 1)]);
    case 'Concat': {
      const xs = n.inputs.map((_, i) => im.value(n, i));
      const axis = im.int(n, 'axis', 1);
      const a = axis < 0 ? axis + xs[0]!.shape.length + 1 : axis;
      if (a < 1) im.fail(n, `axis is ${axis} but import concatenates along a non-batch axis`);
      return void im.add(n, new Concat({ name: im.layerName(n), axis: a }), xs);
    }
    default:
      im.fail(n, `op '${n.op}' is not imported (importOnnx reads ${IMPORTED_OPS.join(', ')})`);
  }
}

/**
 * A stridenet GraphModel from ONNX bytes (opsets 11 to 21) for the op set exportOnnx writes and
 * PyTorch's torch.onnx.export produces for the same layers. One float input [batch, ...]; weights
 * must be initializers. An op, attribute or structure it does not read is a FormatError naming the
 * node; a truncated or malformed file is a FormatError before any large allocation.
 */
export function importOnnx(bytes: Uint8Array, options: ImportOnnxOptions = {}): GraphModel {
  const file = options.file ?? 'ONNX model';
  const m = decodeModel(bytes, file);
  if (m.opset < 11 || m.opset > 21) throw new FormatError(file, `opset is ${m.opset} but importOnnx reads opsets 11 to 21`);
  const inputs = m.inputs.filter((v) => !m.initializers.has(v.name));
  if (inputs.length !== 1) throw new FormatError(file, `graph has ${inputs.length} inputs (besides initializers) but importOnnx reads exactly one`);
  if (m.outputs.length !== 1) throw new FormatError(file, `graph has ${m.outputs.length} outputs but importOnnx reads exactly one`);
  const input = inputs[0]!;
  const shape = input.shape?.slice(1) ?? [];
  if (!input.shape || input.shape.length < 2 || !shape.every((d): d is number => typeof d === 'number' && d > 0)) {
    throw new FormatError(file, `input '${input.name}' has shape ${JSON.stringify(input.shape ?? null)} but expected [batch, ...fixed positive sizes]`);
  }
  if (input.elemType !== 1) throw new FormatError(file, `input '${input.name}' has element type ${input.elemType} but expected FLOAT (1)`);
  const im = new Importer(file, m.opset, m.initializers, m.nodes, input.name, shape as number[]);
  for (const n of m.nodes) if (!im.skip.has(n)) importNode(im, n);
  const out = im.values.get(m.outputs[0]!.name);
  if (!out || out === im.g.input) throw new FormatError(file, `output '${m.outputs[0]!.name}' is not computed by any imported node`);
  const model = im.g.build(out, { name: options.name ?? 'onnx' });
  try {
    loadWeights(model, encodeSafetensors(im.weights), file);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}
