import type { LayerModel } from '@stridenet/core';

/**
 * A framework-neutral description of a zoo model (NCHW, PyTorch weight layouts) that the peer
 * runners (TF.js, ONNX Runtime, PyTorch) rebuild with the same weights, so every framework
 * computes the same function and its output can be checked against cpu-js.
 */
export type IrNode =
  | { op: 'conv'; name: string; input: string; weight: string; bias?: string; stride: [number, number]; pads: [number, number, number, number]; dilation: [number, number]; groups: number; relu: boolean }
  | { op: 'dense'; name: string; input: string; weight: string; bias?: string; relu: boolean }
  | { op: 'batchnorm'; name: string; input: string; gamma: string; beta: string; mean: string; variance: string; epsilon: number; momentum: number }
  | { op: 'relu'; name: string; input: string }
  | { op: 'maxpool' | 'avgpool'; name: string; input: string; window: [number, number]; stride: [number, number]; pads: [number, number, number, number]; ceilMode: boolean; countIncludePad: boolean }
  | { op: 'globalavgpool'; name: string; input: string }
  | { op: 'flatten'; name: string; input: string }
  | { op: 'dropout'; name: string; input: string; rate: number }
  | { op: 'add'; name: string; inputs: [string, string] };

export interface ModelIr {
  name: string;
  /** C, H, W. */
  inputShape: number[];
  nodes: IrNode[];
  output: string;
  /** Parameter name -> shape and values (PyTorch layouts: OIHW, [out, in]). */
  weights: Record<string, { shape: number[]; data: Float32Array; trainable: boolean }>;
}

type Json = Record<string, unknown>;

const pair = (v: unknown, d: number): [number, number] => {
  if (v === undefined) return [d, d];
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2) return [Number(v[0]), Number(v[1])];
  throw new Error(`model-ir: value ${JSON.stringify(v)} is not a number or [h, w] pair`);
};

function pads(v: unknown): [number, number, number, number] {
  if (v === undefined || v === 'valid') return [0, 0, 0, 0];
  if (typeof v === 'number') return [v, v, v, v];
  if (Array.isArray(v) && v.length === 2) return [v[0], v[0], v[1], v[1]];
  if (Array.isArray(v) && v.length === 4) return [v[0], v[1], v[2], v[3]];
  throw new Error(`model-ir: padding ${JSON.stringify(v)} is not supported (expected 'valid', a number, [h, w] or [top, bottom, left, right])`);
}

/** Reads the model's architecture JSON and parameter values. */
export async function modelIr(model: LayerModel): Promise<ModelIr> {
  const json = model.toJSON() as Json;
  const weights: ModelIr['weights'] = {};
  for (const p of model.parameters()) {
    weights[p.name] = { shape: [...p.value.shape], data: new Float32Array(await p.value.data()), trainable: p.trainable };
  }
  const layers = (json.layers ?? json.nodes) as Json[];
  const nodes: IrNode[] = [];
  let prev = 'input';
  for (const l of layers) {
    const name = String(l.name);
    const inputs = (l.inputs as string[] | undefined) ?? [prev];
    const input = inputs[0]!;
    const has = (k: string) => Object.prototype.hasOwnProperty.call(weights, k);
    switch (l.type) {
      case 'Conv2D':
        nodes.push({
          op: 'conv', name, input, weight: `${name}.weight`, bias: has(`${name}.bias`) ? `${name}.bias` : undefined,
          stride: pair(l.stride, 1), pads: pads(l.padding), dilation: pair(l.dilation, 1), groups: Number(l.groups ?? 1), relu: l.activation === 'relu',
        });
        break;
      case 'Dense':
        nodes.push({ op: 'dense', name, input, weight: `${name}.weight`, bias: has(`${name}.bias`) ? `${name}.bias` : undefined, relu: l.activation === 'relu' });
        break;
      case 'BatchNorm2D':
        nodes.push({ op: 'batchnorm', name, input, gamma: `${name}.weight`, beta: `${name}.bias`, mean: `${name}.runningMean`, variance: `${name}.runningVar`, epsilon: Number(l.epsilon ?? 1e-5), momentum: Number(l.momentum ?? 0.1) });
        break;
      case 'ReLU':
        nodes.push({ op: 'relu', name, input });
        break;
      case 'MaxPool2D':
      case 'AvgPool2D': {
        const window = pair(l.window, 1);
        nodes.push({
          op: l.type === 'MaxPool2D' ? 'maxpool' : 'avgpool', name, input, window, stride: l.stride === undefined ? window : pair(l.stride, 1),
          pads: pads(l.padding), ceilMode: Boolean(l.ceilMode), countIncludePad: l.countIncludePad !== false,
        });
        break;
      }
      case 'GlobalAvgPool2D':
        nodes.push({ op: 'globalavgpool', name, input });
        break;
      case 'Flatten':
        nodes.push({ op: 'flatten', name, input });
        break;
      case 'Dropout':
        nodes.push({ op: 'dropout', name, input, rate: Number(l.rate) });
        break;
      case 'Add':
        nodes.push({ op: 'add', name, inputs: [inputs[0]!, inputs[1]!] });
        break;
      default:
        throw new Error(`model-ir: layer '${name}' has type '${String(l.type)}', which the peer runners do not translate`);
    }
    prev = name;
  }
  return { name: String(json.name ?? 'model'), inputShape: [...(json.inputShape as number[])], nodes, output: prev, weights };
}
