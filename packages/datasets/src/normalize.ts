import { ArgumentError, standardizeChannels } from '@stridenet/core';
import { imageSize, type Dataset, type ImageShape } from './dataset.js';

/** Per-channel statistics on the [0, 1] scale. */
export interface ChannelStats {
  mean: number[];
  std: number[];
}

/** Bytes to floats in [0, 1] (x / 255). */
export function toFloat32(images: Uint8Array, out: Float32Array = new Float32Array(images.length)): Float32Array {
  if (out.length !== images.length) throw new ArgumentError('toFloat32', 'out.length', out.length, `images.length (${images.length})`);
  const k = 1 / 255;
  for (let i = 0; i < images.length; i++) out[i] = images[i]! * k;
  return out;
}

/** Mean and (population) standard deviation of each channel over all images, on the [0, 1] scale. */
export function channelStats(ds: Dataset): ChannelStats {
  const [c, h, w] = ds.shape;
  const plane = h * w;
  const size = imageSize(ds.shape);
  const sum = new Float64Array(c);
  const sq = new Float64Array(c);
  for (let n = 0; n < ds.count; n++) {
    for (let ch = 0; ch < c; ch++) {
      const base = n * size + ch * plane;
      // Integer sums of bytes are exact; the float work happens once at the end.
      let s = 0;
      let s2 = 0;
      for (let i = 0; i < plane; i++) {
        const v = ds.images[base + i]!;
        s += v;
        s2 += v * v;
      }
      sum[ch] += s;
      sq[ch] += s2;
    }
  }
  const total = ds.count * plane;
  const mean: number[] = [];
  const std: number[] = [];
  for (let ch = 0; ch < c; ch++) {
    const m = sum[ch]! / total;
    mean.push(m / 255);
    std.push(Math.sqrt(Math.max(0, sq[ch]! / total - m * m)) / 255);
  }
  return { mean, std };
}

/** In place: x = (x - mean[c]) / std[c] for each channel of a NCHW batch. */
export function normalizeChannels(batch: Float32Array, shape: ImageShape, stats: ChannelStats): Float32Array {
  const [c, h, w] = shape;
  if (stats.mean.length !== c || stats.std.length !== c) {
    throw new ArgumentError('normalizeChannels', 'stats', { mean: stats.mean.length, std: stats.std.length }, `${c} values each (one per channel)`);
  }
  for (const s of stats.std) if (!(s > 0)) throw new ArgumentError('normalizeChannels', 'std', stats.std, 'positive values');
  const plane = h * w;
  const count = batch.length / (c * plane);
  if (!Number.isInteger(count)) throw new ArgumentError('normalizeChannels', 'batch.length', batch.length, `a multiple of C*H*W = ${c * plane}`);
  standardizeChannels(batch, c, plane, stats);
  return batch;
}

/** The whole dataset as floats: [0, 1], or standardised per channel when `stats` is given. */
export function datasetToFloat32(ds: Dataset, stats?: ChannelStats): Float32Array {
  const x = toFloat32(ds.images);
  return stats ? normalizeChannels(x, ds.shape, stats) : x;
}
