/**
 * PyTorch 1.13 golden cases written by tools/fixtures/make_golden.py (inputs drawn from
 * torch.manual_seed, maths in float64, stored as little-endian float32 in base64).
 */
import raw from './golden.json';

export interface GoldenTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export interface GoldenCase {
  /** conv2d, maxPool2d, avgPool2d, softmax, softmaxCrossEntropy, batchNorm, unary, sgd, adam, cpcp. */
  readonly kind: string;
  readonly name: string;
  readonly params: Record<string, any>;
  readonly tensors: Record<string, GoldenTensor>;
}

interface RawFile {
  torch: string;
  cases: { kind: string; name: string; params: Record<string, unknown>; tensors: Record<string, { shape: number[]; data: string }> }[];
}

function decode(b64: string): Float32Array {
  const bin = atob(b64);
  const view = new DataView(new ArrayBuffer(bin.length));
  for (let i = 0; i < bin.length; i++) view.setUint8(i, bin.charCodeAt(i));
  const out = new Float32Array(bin.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

let cache: GoldenCase[] | undefined;

export const GOLDEN_TORCH_VERSION: string = (raw as unknown as RawFile).torch;

/** Every golden case, or those of one kind. */
export function goldenCases(kind?: string): GoldenCase[] {
  cache ??= (raw as unknown as RawFile).cases.map((c) => ({
    kind: c.kind,
    name: c.name,
    params: c.params,
    tensors: Object.fromEntries(Object.entries(c.tensors).map(([k, t]) => [k, { shape: t.shape, data: decode(t.data) }])),
  }));
  return kind === undefined ? cache : cache.filter((c) => c.kind === kind);
}
