import { ArgumentError, type Rng } from '@stridenet/core';
import type { ImageShape } from './dataset.js';
import { normalizeChannels, type ChannelStats } from './normalize.js';

/**
 * Transforms a NCHW float batch of `count` images in place, drawing its randomness from `rng` in a
 * fixed order, so one seed gives the same augmented batch on every run and machine.
 */
export type Augmentation = (batch: Float32Array, count: number, shape: ImageShape, rng: Rng) => void;

function checkBatch(op: string, batch: Float32Array, count: number, shape: ImageShape): number {
  const size = shape[0] * shape[1] * shape[2];
  if (batch.length !== count * size) throw new ArgumentError(op, 'batch.length', batch.length, `count * C*H*W = ${count * size}`);
  return size;
}

/** Mirrors one CHW image left-right, in place. */
export function flipHorizontal(image: Float32Array, shape: ImageShape): Float32Array {
  const [c, h, w] = shape;
  for (let row = 0; row < c * h; row++) {
    const base = row * w;
    for (let x = 0, y = w - 1; x < y; x++, y--) {
      const t = image[base + x]!;
      image[base + x] = image[base + y]!;
      image[base + y] = t;
    }
  }
  return image;
}

export type PadMode = 'constant' | 'reflect' | 'edge';

/** Index into [0, n) for a coordinate outside it, or -1 when the pad value is used. */
function padIndex(i: number, n: number, mode: PadMode): number {
  if (i >= 0 && i < n) return i;
  if (mode === 'constant') return -1;
  if (mode === 'edge') return i < 0 ? 0 : n - 1;
  // Reflect without repeating the edge (numpy 'reflect'), folded for pads wider than the image.
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let k = ((i % period) + period) % period;
  if (k >= n) k = period - k;
  return k;
}

/**
 * Writes into `dst` the window of `src` padded by `padding`, starting at (top, left) of the padded
 * image; the output keeps the input's size. top = left = padding is the identity.
 */
export function cropPadded(src: Float32Array, dst: Float32Array, shape: ImageShape, padding: number, top: number, left: number, mode: PadMode = 'constant', fill = 0): Float32Array {
  const [c, h, w] = shape;
  for (let ch = 0; ch < c; ch++) {
    const base = ch * h * w;
    for (let y = 0; y < h; y++) {
      const sy = padIndex(y + top - padding, h, mode);
      for (let x = 0; x < w; x++) {
        const sx = padIndex(x + left - padding, w, mode);
        dst[base + y * w + x] = sy < 0 || sx < 0 ? fill : src[base + sy * w + sx]!;
      }
    }
  }
  return dst;
}

/**
 * Samples `src` at (x + dx[y,x], y + dy[y,x]) with bilinear interpolation, outside pixels reading
 * `fill`. Used by translation (constant field) and elastic distortion (smooth random field).
 */
export function warpBilinear(src: Float32Array, dst: Float32Array, shape: ImageShape, dx: ArrayLike<number> | number, dy: ArrayLike<number> | number, fill = 0): Float32Array {
  const [c, h, w] = shape;
  const constant = typeof dx === 'number';
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = y * w + x;
      const sx = x + (constant ? (dx as number) : (dx as ArrayLike<number>)[p]!);
      const sy = y + (typeof dy === 'number' ? dy : dy[p]!);
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      const in00 = x0 >= 0 && x0 < w && y0 >= 0 && y0 < h;
      const in10 = x0 + 1 >= 0 && x0 + 1 < w && y0 >= 0 && y0 < h;
      const in01 = x0 >= 0 && x0 < w && y0 + 1 >= 0 && y0 + 1 < h;
      const in11 = x0 + 1 >= 0 && x0 + 1 < w && y0 + 1 >= 0 && y0 + 1 < h;
      for (let ch = 0; ch < c; ch++) {
        const base = ch * h * w;
        const v00 = in00 ? src[base + y0 * w + x0]! : fill;
        // Zero weights skip the neighbour entirely, so integer displacements copy pixels exactly.
        const v10 = fx === 0 ? 0 : in10 ? src[base + y0 * w + x0 + 1]! : fill;
        const v01 = fy === 0 ? 0 : in01 ? src[base + (y0 + 1) * w + x0]! : fill;
        const v11 = fx === 0 || fy === 0 ? 0 : in11 ? src[base + (y0 + 1) * w + x0 + 1]! : fill;
        const top = fx === 0 ? v00 : v00 + (v10 - v00) * fx;
        const bottom = fx === 0 ? v01 : v01 + (v11 - v01) * fx;
        dst[base + p] = fy === 0 ? top : top + (bottom - top) * fy;
      }
    }
  }
  return dst;
}

/** Normalised 1-D Gaussian taps, radius ceil(4 sigma) (scipy's default truncation). */
export function gaussianKernel(sigma: number): Float64Array {
  const r = Math.max(1, Math.ceil(4 * sigma));
  const k = new Float64Array(2 * r + 1);
  let s = 0;
  for (let i = -r; i <= r; i++) s += k[i + r] = Math.exp((-i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i] /= s;
  return k;
}

/** Separable Gaussian blur of an H x W field, zero outside (as Simard et al. smooth their fields). */
export function gaussianBlur(field: Float32Array, h: number, w: number, sigma: number): Float32Array {
  const k = gaussianKernel(sigma);
  const r = (k.length - 1) / 2;
  const tmp = new Float32Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      const lo = Math.max(-r, -x);
      const hi = Math.min(r, w - 1 - x);
      for (let i = lo; i <= hi; i++) s += k[i + r]! * field[y * w + x + i]!;
      tmp[y * w + x] = s;
    }
  }
  const out = new Float32Array(h * w);
  for (let y = 0; y < h; y++) {
    const lo = Math.max(-r, -y);
    const hi = Math.min(r, h - 1 - y);
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let i = lo; i <= hi; i++) s += k[i + r]! * tmp[(y + i) * w + x]!;
      out[y * w + x] = s;
    }
  }
  return out;
}

/**
 * One elastic displacement field (Simard, Steinkraus & Platt 2003): uniform(-1, 1) per pixel,
 * smoothed by a Gaussian of std `sigma`, scaled by `alpha` pixels.
 */
export function elasticField(h: number, w: number, alpha: number, sigma: number, rng: Rng): { dx: Float32Array; dy: Float32Array } {
  const dx = gaussianBlur(rng.uniform(h * w, -1, 1), h, w, sigma);
  const dy = gaussianBlur(rng.uniform(h * w, -1, 1), h, w, sigma);
  for (let i = 0; i < h * w; i++) {
    dx[i] *= alpha;
    dy[i] *= alpha;
  }
  return { dx, dy };
}

export function randomHorizontalFlip(options: { probability?: number } = {}): Augmentation {
  const p = options.probability ?? 0.5;
  if (!(p >= 0 && p <= 1)) throw new ArgumentError('randomHorizontalFlip', 'probability', p, 'a number in [0, 1]');
  return (batch, count, shape, rng) => {
    const size = checkBatch('randomHorizontalFlip', batch, count, shape);
    const u = rng.uniform(count);
    for (let n = 0; n < count; n++) if (u[n]! < p) flipHorizontal(batch.subarray(n * size, (n + 1) * size), shape);
  };
}

export interface RandomCropOptions {
  /** Pixels added on each side before cropping back to the input size. */
  padding: number;
  /** How the border is filled (default 'constant'). */
  mode?: PadMode;
  /** Value for 'constant' (default 0). */
  fill?: number;
}

/** Pads each image by `padding` and crops a random window of the original size (CIFAR-style). */
export function randomCrop(options: RandomCropOptions): Augmentation {
  const { padding } = options;
  const mode = options.mode ?? 'constant';
  if (!Number.isInteger(padding) || padding < 0) throw new ArgumentError('randomCrop', 'padding', padding, 'a non-negative integer');
  if (mode !== 'constant' && mode !== 'reflect' && mode !== 'edge') throw new ArgumentError('randomCrop', 'mode', mode, "'constant', 'reflect' or 'edge'");
  return (batch, count, shape, rng) => {
    const size = checkBatch('randomCrop', batch, count, shape);
    const offsets = rng.uint32(2 * count);
    const src = new Float32Array(size);
    for (let n = 0; n < count; n++) {
      const img = batch.subarray(n * size, (n + 1) * size);
      src.set(img);
      const top = Math.floor((offsets[2 * n]! / 4294967296) * (2 * padding + 1));
      const left = Math.floor((offsets[2 * n + 1]! / 4294967296) * (2 * padding + 1));
      cropPadded(src, img, shape, padding, top, left, mode, options.fill ?? 0);
    }
  };
}

export interface RandomTranslateOptions {
  /** Largest shift in pixels along each axis; a shift is drawn uniformly in [-maxShift, maxShift]. */
  maxShift: number;
  /** Whole-pixel shifts (default) or continuous ones resampled bilinearly. */
  subpixel?: boolean;
  fill?: number;
}

/** Shifts each image by a random offset, uncovered pixels set to `fill`. */
export function randomTranslate(options: RandomTranslateOptions): Augmentation {
  const { maxShift } = options;
  if (!(maxShift >= 0) || !Number.isFinite(maxShift)) throw new ArgumentError('randomTranslate', 'maxShift', maxShift, 'a finite number >= 0');
  return (batch, count, shape, rng) => {
    const size = checkBatch('randomTranslate', batch, count, shape);
    const m = Math.floor(maxShift);
    const u = options.subpixel ? rng.uniform(2 * count, -maxShift, maxShift) : rng.uint32(2 * count);
    const src = new Float32Array(size);
    for (let n = 0; n < count; n++) {
      const img = batch.subarray(n * size, (n + 1) * size);
      src.set(img);
      const dx = options.subpixel ? u[2 * n]! : Math.floor((u[2 * n]! / 4294967296) * (2 * m + 1)) - m;
      const dy = options.subpixel ? u[2 * n + 1]! : Math.floor((u[2 * n + 1]! / 4294967296) * (2 * m + 1)) - m;
      // Content moves by +d, so each output pixel reads the source at -d.
      warpBilinear(src, img, shape, -dx, -dy, options.fill ?? 0);
    }
  };
}

export interface ElasticOptions {
  /** Displacement scale in pixels (Simard et al. use 34 on 28x28 digits). */
  alpha: number;
  /** Smoothing std in pixels (Simard et al. use 4). */
  sigma: number;
  fill?: number;
}

/** Elastic distortion: a fresh smooth random displacement field per image, bilinear resampling. */
export function elasticDistortion(options: ElasticOptions): Augmentation {
  const { alpha, sigma } = options;
  if (!(alpha >= 0) || !Number.isFinite(alpha)) throw new ArgumentError('elasticDistortion', 'alpha', alpha, 'a finite number >= 0');
  if (!(sigma > 0) || !Number.isFinite(sigma)) throw new ArgumentError('elasticDistortion', 'sigma', sigma, 'a finite number > 0');
  return (batch, count, shape, rng) => {
    const size = checkBatch('elasticDistortion', batch, count, shape);
    const src = new Float32Array(size);
    for (let n = 0; n < count; n++) {
      const img = batch.subarray(n * size, (n + 1) * size);
      src.set(img);
      const { dx, dy } = elasticField(shape[1], shape[2], alpha, sigma, rng);
      warpBilinear(src, img, shape, dx, dy, options.fill ?? 0);
    }
  };
}

/** Applies augmentations in order, sharing one random stream. */
export function compose(...augmentations: Augmentation[]): Augmentation {
  return (batch, count, shape, rng) => {
    for (const a of augmentations) a(batch, count, shape, rng);
  };
}

/** The batch and context a trainer's per-batch hook receives (core's `fit` `augment` option). */
export interface AugmentHookBatch {
  images: Float32Array;
  /** [n, C, H, W]. */
  shape: readonly number[];
}

/**
 * Adapts an Augmentation to core's `fit({ augment })` hook. When the trainer's images are already
 * standardised with `normalize`, they are mapped back to [0, 1] first, so padding and
 * out-of-frame pixels are true black (0) rather than 0 in standardised units, then standardised again.
 */
export function augmentHook(augmentation: Augmentation, options: { normalize?: ChannelStats } = {}): (batch: AugmentHookBatch, ctx: { rng: Rng }) => void {
  const stats = options.normalize;
  return (batch, ctx) => {
    if (batch.shape.length !== 4) throw new ArgumentError('augmentHook', 'batch.shape', batch.shape, '[n, C, H, W]');
    const [n, c, h, w] = batch.shape as [number, number, number, number];
    const shape: ImageShape = [c, h, w];
    if (stats) {
      normalizeChannels(batch.images, shape, { mean: stats.mean.map((m, i) => -m / stats.std[i]!), std: stats.std.map((s) => 1 / s) });
    }
    augmentation(batch.images, n, shape, ctx.rng);
    if (stats) normalizeChannels(batch.images, shape, stats);
  };
}
