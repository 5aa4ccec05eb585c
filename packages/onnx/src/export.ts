import {
  AdaptiveAvgPool2D,
  Add,
  ArgumentError,
  AvgPool1D,
  AvgPool2D,
  BatchNorm1D,
  BatchNorm2D,
  Concat,
  Conv1D,
  Conv2D,
  Dense,
  Dropout,
  ELU,
  Flatten,
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
  checkOptionKeys,
  optionKeys,
  padding1dTo2d,
  resolvePads,
  type Layer,
  type LayerModel,
  type Padding2d,
} from '@stridenet/core';
import { encodeModel, type OnnxGraph, type OnnxInitializer, type OnnxNode } from './proto.js';

export interface ExportOnnxOptions {
  /** ai.onnx opset, 11 to 21 (default 13). */
  opset?: number;
  /** Default true: the batch axis is the symbolic dimension 'batch'; false: fixed to `batchSize`. */
  dynamicBatch?: boolean;
  /** The batch size when dynamicBatch is false (default 1). */
  batchSize?: number;
  /** Input and output value names (default 'input' and 'output'). */
  inputName?: string;
  outputName?: string;
  /** String key-value pairs stored as the model's metadata_props (decodeModel reads them back). */
  metadata?: Readonly<Record<string, string>>;
}

const EXPORT_OPTIONS = optionKeys<ExportOnnxOptions>({ opset: 1, dynamicBatch: 1, batchSize: 1, inputName: 1, outputName: 1, metadata: 1 });

const EXPORTED_TYPES = ['Conv1D', 'Conv2D', 'Dense', 'BatchNorm1D', 'BatchNorm2D', 'MaxPool1D', 'MaxPool2D', 'AvgPool1D', 'AvgPool2D', 'AdaptiveAvgPool2D',
  'GlobalAvgPool1D', 'GlobalAvgPool2D', 'GlobalMaxPool1D', 'GlobalMaxPool2D', 'Flatten', 'Dropout', 'ReLU', 'LeakyReLU', 'ELU', 'Tanh', 'Sigmoid', 'Softmax', 'Add', 'Concat'];

/** Builds the nodes of one layer; `out` is the value name the layer must produce. */
class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxInitializer[] = [];

  constructor(private readonly weights: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>) {}

  weight(name: string): string {
    const w = this.weights.get(name);
    if (!w) throw new ArgumentError('exportOnnx', 'model', name, 'a model with this parameter');
    this.initializers.push({ name, shape: w.shape, data: w.data });
    return name;
  }

  constant(name: string, shape: readonly number[], data: Float32Array | BigInt64Array): string {
    this.initializers.push({ name, shape, data });
    return name;
  }

  node(op: string, name: string, inputs: string[], outputs: string[], attrs?: OnnxNode['attrs']): void {
    this.nodes.push({ op, name, inputs, outputs, ...(attrs ? { attrs } : {}) });
  }
}

/** Built models name every layer; the type stands in otherwise. */
const nm = (l: Layer): string => l.name ?? l.type;

const pair = (v: number | readonly number[]): [number, number] => (typeof v === 'number' ? [v, v] : [v[0]!, v[1]!]);

/** ONNX pads [top, left, bottom, right] of a 2D window op, resolved by core's padding rules. */
function pads2d(op: string, padding: Padding2d, inH: number, inW: number, eff: [number, number], stride: [number, number]): number[] {
  const p = resolvePads(op, padding, inH, inW, eff[0], eff[1], stride[0], stride[1]);
  return [p.top, p.left, p.bottom, p.right];
}

/** A fused activation after a conv or dense output. */
function activation(g: GraphBuilder, layer: Layer & { activation: string }, pre: string, out: string): void {
  if (layer.activation === 'linear') return;
  if (layer.activation !== 'relu') throw new ArgumentError('exportOnnx', `layer '${nm(layer)}' activation`, layer.activation, "'linear' or 'relu' (the fused activations with an export)");
  g.node('Relu', `${nm(layer)}/relu`, [pre], [out]);
}

function conv(g: GraphBuilder, layer: Conv2D | Conv1D, x: string, out: string): void {
  const oneD = layer instanceof Conv1D;
  const inShape = layer.inputShapes[0]!;
  const [inH, inW] = oneD ? [1, inShape[1]!] : [inShape[1]!, inShape[2]!];
  const k = oneD ? [1, layer.kernelSize] : layer.kernelSize;
  const stride = oneD ? [1, layer.stride] : pair(layer.stride);
  const dilation = oneD ? [1, layer.dilation] : pair(layer.dilation);
  const eff: [number, number] = [dilation[0]! * (k[0]! - 1) + 1, dilation[1]! * (k[1]! - 1) + 1];
  const padding = oneD ? padding1dTo2d('exportOnnx', layer.padding) : layer.padding;
  const pads = pads2d(`${layer.type} '${nm(layer)}'`, padding ?? 'valid', inH, inW, eff, stride as [number, number]);
  const inputs = [x, g.weight(`${nm(layer)}.weight`)];
  if (layer.useBias) inputs.push(g.weight(`${nm(layer)}.bias`));
  const pre = layer.activation === 'linear' ? out : `${nm(layer)}/conv`;
  const attrs = oneD
    ? { kernel_shape: [k[1]!], strides: [stride[1]!], dilations: [dilation[1]!], pads: [pads[1]!, pads[3]!], group: layer.groups }
    : { kernel_shape: [...k], strides: [...stride], dilations: [...dilation], pads, group: layer.groups };
  g.node('Conv', nm(layer), inputs, [pre], attrs);
  activation(g, layer, pre, out);
}

function pool(g: GraphBuilder, layer: MaxPool2D | AvgPool2D | MaxPool1D | AvgPool1D, x: string, out: string): void {
  const oneD = layer instanceof MaxPool1D || layer instanceof AvgPool1D;
  const inShape = layer.inputShapes[0]!;
  const [inH, inW] = oneD ? [1, inShape[1]!] : [inShape[1]!, inShape[2]!];
  const window = oneD ? [1, layer.window as number] : pair(layer.window);
  const stride = layer.stride === undefined ? window : oneD ? [1, layer.stride as number] : pair(layer.stride);
  const padding = oneD ? padding1dTo2d('exportOnnx', layer.padding as never) : (layer.padding as Padding2d);
  const pads = pads2d(`${layer.type} '${nm(layer)}'`, padding ?? 'valid', inH, inW, window as [number, number], stride as [number, number]);
  const attrs: OnnxNode['attrs'] = oneD
    ? { kernel_shape: [window[1]!], strides: [stride[1]!], pads: [pads[1]!, pads[3]!], ceil_mode: layer.ceilMode ? 1 : 0 }
    : { kernel_shape: [...window], strides: [...stride], pads, ceil_mode: layer.ceilMode ? 1 : 0 };
  const max = layer instanceof MaxPool2D || layer instanceof MaxPool1D;
  if (!max) attrs.count_include_pad = layer.countIncludePad ? 1 : 0;
  g.node(max ? 'MaxPool' : 'AveragePool', nm(layer), [x], [out], attrs);
}

function adaptivePool(g: GraphBuilder, layer: AdaptiveAvgPool2D, x: string, out: string): void {
  const [c, h, w] = layer.inputShapes[0]! as [number, number, number];
  const [oh, ow] = layer.outputSize;
  if (h === oh && w === ow) return g.node('Identity', nm(layer), [x], [out]);
  if (h % oh === 0 && w % ow === 0) {
    return g.node('AveragePool', nm(layer), [x], [out], { kernel_shape: [h / oh, w / ow], strides: [h / oh, w / ow] });
  }
  // Bins that overlap or repeat: [N, C, H*W] x averaging matrix [H*W, oh*ow].
  const n = nm(layer);
  g.node('Reshape', `${n}/flat`, [x, g.constant(`${n}/flat_shape`, [3], BigInt64Array.from([0n, BigInt(c), BigInt(h * w)]))], [`${n}/flat`]);
  g.node('MatMul', `${n}/pool`, [`${n}/flat`, g.constant(`${n}/matrix`, [h * w, oh * ow], adaptiveAvgPoolMatrix(h, w, oh, ow))], [`${n}/pooled`]);
  g.node('Reshape', n, [`${n}/pooled`, g.constant(`${n}/shape`, [4], BigInt64Array.from([0n, BigInt(c), BigInt(oh), BigInt(ow)]))], [out]);
}

/** The nodes of one layer, reading `inputs` and writing `out`. */
function exportLayer(g: GraphBuilder, layer: Layer, inputs: string[], out: string): void {
  const x = inputs[0]!;
  const name = nm(layer);
  if (layer instanceof Conv2D || layer instanceof Conv1D) return conv(g, layer, x, out);
  if (layer instanceof Dense) {
    if (layer.inputShapes[0]!.length !== 1) throw new ArgumentError('exportOnnx', `Dense '${name}' input shape`, layer.inputShapes[0], '[features] (exported as Gemm)');
    const ins = [x, g.weight(`${name}.weight`)];
    if (layer.useBias) ins.push(g.weight(`${name}.bias`));
    const pre = layer.activation === 'linear' ? out : `${name}/gemm`;
    g.node('Gemm', name, ins, [pre], { transB: 1 });
    return activation(g, layer, pre, out);
  }
  if (layer instanceof BatchNorm2D || layer instanceof BatchNorm1D) {
    const ins = ['weight', 'bias', 'runningMean', 'runningVar'].map((p) => g.weight(`${name}.${p}`));
    return g.node('BatchNormalization', name, [x, ...ins], [out], { epsilon: { float: layer.epsilon }, momentum: { float: 1 - layer.momentum } });
  }
  if (layer instanceof MaxPool2D || layer instanceof AvgPool2D || layer instanceof MaxPool1D || layer instanceof AvgPool1D) return pool(g, layer, x, out);
  if (layer instanceof AdaptiveAvgPool2D) return adaptivePool(g, layer, x, out);
  if (layer instanceof GlobalAvgPool2D || layer instanceof GlobalAvgPool1D || layer instanceof GlobalMaxPool2D || layer instanceof GlobalMaxPool1D) {
    const avg = layer instanceof GlobalAvgPool2D || layer instanceof GlobalAvgPool1D;
    g.node(avg ? 'GlobalAveragePool' : 'GlobalMaxPool', name, [x], [`${name}/pooled`]);
    return g.node('Flatten', `${name}/flatten`, [`${name}/pooled`], [out], { axis: 1 });
  }
  if (layer instanceof Flatten) return g.node('Flatten', name, [x], [out], { axis: 1 });
  if (layer instanceof Dropout) return g.node('Identity', name, [x], [out]);
  if (layer instanceof ReLU) return g.node('Relu', name, [x], [out]);
  if (layer instanceof Tanh) return g.node('Tanh', name, [x], [out]);
  if (layer instanceof Sigmoid) return g.node('Sigmoid', name, [x], [out]);
  if (layer instanceof LeakyReLU) return g.node('LeakyRelu', name, [x], [out], { alpha: { float: layer.alpha } });
  if (layer instanceof ELU) return g.node('Elu', name, [x], [out], { alpha: { float: layer.alpha } });
  if (layer instanceof Softmax) return g.node('Softmax', name, [x], [out], { axis: 1 });
  if (layer instanceof Add) {
    // ONNX Add is binary: a chain for three or more inputs.
    let acc = inputs[0]!;
    for (let i = 1; i < inputs.length; i++) {
      const o = i === inputs.length - 1 ? out : `${name}/sum${i}`;
      g.node('Add', i === inputs.length - 1 ? name : `${name}/${i}`, [acc, inputs[i]!], [o]);
      acc = o;
    }
    return;
  }
  if (layer instanceof Concat) return g.node('Concat', name, inputs, [out], { axis: layer.axis });
  throw new ArgumentError('exportOnnx', `layer '${name}' type`, layer.type, `a layer type with an ONNX export (${EXPORTED_TYPES.join(', ')})`);
}

/** The model as an ONNX graph (see exportOnnx), before serialisation. */
export async function onnxGraph(model: LayerModel, options: ExportOnnxOptions = {}): Promise<OnnxGraph> {
  checkOptionKeys('exportOnnx', options, EXPORT_OPTIONS);
  const dynamic = options.dynamicBatch ?? true;
  if (typeof dynamic !== 'boolean') throw new ArgumentError('exportOnnx', 'dynamicBatch', dynamic, 'true or false');
  const batch = options.batchSize ?? 1;
  if (!Number.isInteger(batch) || batch < 1) throw new ArgumentError('exportOnnx', 'batchSize', batch, 'a positive integer');
  const inputName = options.inputName ?? 'input';
  const outputName = options.outputName ?? 'output';
  const weights = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  for (const p of model.parameters()) weights.set(p.name, { shape: [...p.value.shape], data: await p.value.data() });
  const g = new GraphBuilder(weights);
  const entries = model.nodeInputs();
  const valueOf = (layerName: string) => (layerName === 'input' ? inputName : layerName);
  entries.forEach(({ layer, inputs }, i) => {
    exportLayer(g, layer, inputs.map(valueOf), i === entries.length - 1 ? outputName : nm(layer));
  });
  const b = dynamic ? 'batch' : batch;
  return {
    name: model.name,
    nodes: g.nodes,
    initializers: g.initializers,
    inputs: [{ name: inputName, shape: [b, ...model.inputShape] }],
    outputs: [{ name: outputName, shape: [b, ...model.outputShape] }],
  };
}

/**
 * The model as ONNX bytes (ModelProto) for ONNX Runtime and other ONNX tools: every layer of the
 * zoo maps to standard operators (Conv, Gemm, BatchNormalization, MaxPool / AveragePool with
 * ceil_mode and count_include_pad, Global pools + Flatten, activations, Add, Concat, Flatten,
 * Dropout as Identity, Softmax), inference mode. Layers without an export are an UnsupportedError
 * naming the layer and its type.
 */
export async function exportOnnx(model: LayerModel, options: ExportOnnxOptions = {}): Promise<Uint8Array> {
  const opset = options.opset ?? 13;
  if (!Number.isInteger(opset) || opset < 11 || opset > 21) throw new ArgumentError('exportOnnx', 'opset', opset, 'an integer from 11 to 21');
  const metadata = options.metadata ?? {};
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new ArgumentError('exportOnnx', `metadata['${k}']`, v, 'a string');
  }
  return encodeModel(await onnxGraph(model, options), { opset, producer: 'stridenet', metadata });
}
