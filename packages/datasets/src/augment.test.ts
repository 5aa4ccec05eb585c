import { Rng } from '@stridenet/core';
import { describe, expect, it } from 'vitest';
import {
  augmentHook,
  compose,
  cropPadded,
  elasticDistortion,
  elasticField,
  flipHorizontal,
  gaussianBlur,
  gaussianKernel,
  randomCrop,
  randomHorizontalFlip,
  randomTranslate,
  warpBilinear,
} from './augment.js';
import type { ImageShape } from './dataset.js';

const shape: ImageShape = [2, 5, 6];
const size = 60;
function batch(count: number): Float32Array {
  const b = new Float32Array(count * size);
  for (let i = 0; i < b.length; i++) b[i] = ((i * 37) % 101) / 100;
  return b;
}
const px = (img: Float32Array, c: number, y: number, x: number) => img[c * 30 + y * 6 + x]!;

describe('deterministic primitives', () => {
  it('flip twice is the identity; once mirrors each row of each channel', () => {
    const a = batch(1);
    const f = flipHorizontal(a.slice(), shape);
    expect(px(f, 1, 2, 0)).toBe(px(a, 1, 2, 5));
    expect(px(f, 0, 4, 2)).toBe(px(a, 0, 4, 3));
    expect(flipHorizontal(f, shape)).toEqual(a);
    const odd = Float32Array.from([1, 2, 3]);
    expect(Array.from(flipHorizontal(odd, [1, 1, 3]))).toEqual([3, 2, 1]);
  });

  it('crop at the centre of the padded image is the identity; off-centre shifts with the chosen padding', () => {
    const a = batch(1);
    expect(cropPadded(a, new Float32Array(size), shape, 2, 2, 2)).toEqual(a);
    const out = cropPadded(a, new Float32Array(size), shape, 2, 0, 1, 'constant', -1);
    // Window starts 2 rows up and 1 column left of the image: output (y, x) reads input (y-2, x-1).
    expect(px(out, 1, 3, 4)).toBe(px(a, 1, 1, 3));
    expect(px(out, 0, 1, 3)).toBe(-1);
    expect(px(out, 0, 3, 0)).toBe(-1);
    const edge = cropPadded(a, new Float32Array(size), shape, 2, 0, 0, 'edge');
    expect(px(edge, 0, 0, 0)).toBe(px(a, 0, 0, 0));
    expect(px(edge, 0, 4, 4)).toBe(px(a, 0, 2, 2));
    const reflect = cropPadded(Float32Array.from([1, 2, 3]), new Float32Array(3), [1, 1, 3], 2, 0, 0, 'reflect');
    expect(Array.from(reflect)).toEqual([3, 2, 1]);
  });

  it('bilinear warp: integer shifts copy exactly, half-pixel shifts average', () => {
    const a = batch(1);
    expect(warpBilinear(a, new Float32Array(size), shape, 0, 0)).toEqual(a);
    const s = warpBilinear(a, new Float32Array(size), shape, 1, -1, 0);
    expect(px(s, 1, 2, 3)).toBe(px(a, 1, 1, 4));
    expect(px(s, 1, 0, 3)).toBe(0);
    expect(px(s, 1, 2, 5)).toBe(0);
    const h = warpBilinear(Float32Array.from([0, 1, 4, 9]), new Float32Array(4), [1, 2, 2], 0.5, 0.5, 0);
    expect(h[0]).toBeCloseTo((0 + 1 + 4 + 9) / 4, 6);
    expect(h[3]).toBeCloseTo(9 / 4, 6);
  });

  it('Gaussian taps sum to one and blurring keeps a constant interior constant', () => {
    for (const s of [0.5, 1, 4]) {
      const k = gaussianKernel(s);
      expect(k.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 12);
      expect(k.length).toBe(2 * Math.ceil(4 * s) + 1);
    }
    const f = new Float32Array(21 * 21).fill(2);
    const b = gaussianBlur(f, 21, 21, 1);
    expect(b[10 * 21 + 10]).toBeCloseTo(2, 5);
    // Zero outside: the corner loses mass.
    expect(b[0]).toBeLessThan(2);
  });

  it('elastic fields are smooth, scaled by alpha, and reproducible', () => {
    const a = elasticField(28, 28, 34, 4, new Rng(5));
    const b = elasticField(28, 28, 34, 4, new Rng(5));
    expect(a.dx).toEqual(b.dx);
    let maxStep = 0;
    let maxAbs = 0;
    for (let y = 0; y < 28; y++)
      for (let x = 1; x < 28; x++) {
        maxStep = Math.max(maxStep, Math.abs(a.dx[y * 28 + x]! - a.dx[y * 28 + x - 1]!));
        maxAbs = Math.max(maxAbs, Math.abs(a.dx[y * 28 + x]!));
      }
    expect(maxAbs).toBeGreaterThan(0.5);
    expect(maxStep).toBeLessThan(maxAbs / 2);
    const small = elasticField(28, 28, 17, 4, new Rng(5));
    expect(small.dy[100]! * 2).toBeCloseTo(a.dy[100]!, 4);
  });
});

describe('seeded augmentations', () => {
  const all = {
    flip: randomHorizontalFlip(),
    crop: randomCrop({ padding: 2 }),
    cropReflect: randomCrop({ padding: 3, mode: 'reflect' }),
    translate: randomTranslate({ maxShift: 2 }),
    translateSub: randomTranslate({ maxShift: 1.5, subpixel: true }),
    elastic: elasticDistortion({ alpha: 8, sigma: 2 }),
    composed: compose(randomCrop({ padding: 1 }), randomHorizontalFlip(), elasticDistortion({ alpha: 3, sigma: 1.5 })),
  };

  for (const [name, aug] of Object.entries(all)) {
    it(`${name}: same seed same output, keeps the shape, changes something`, () => {
      const a = batch(8);
      const b = batch(8);
      aug(a, 8, shape, new Rng(11));
      aug(b, 8, shape, new Rng(11));
      expect(a).toEqual(b);
      expect(a.length).toBe(8 * size);
      expect(a).not.toEqual(batch(8));
      const c = batch(8);
      aug(c, 8, shape, new Rng(12));
      expect(c).not.toEqual(a);
    });
  }

  it('random flip flips a share of images near the probability, each exactly mirrored or untouched', () => {
    const n = 400;
    const a = batch(n);
    randomHorizontalFlip({ probability: 0.25 })(a, n, shape, new Rng(3));
    const before = batch(n);
    let flipped = 0;
    for (let i = 0; i < n; i++) {
      const img = a.subarray(i * size, (i + 1) * size);
      const orig = before.subarray(i * size, (i + 1) * size);
      const mirrored = flipHorizontal(orig.slice(), shape);
      const isFlip = img.every((v, j) => v === mirrored[j]);
      expect(isFlip || img.every((v, j) => v === orig[j])).toBe(true);
      if (isFlip) flipped++;
    }
    expect(flipped).toBeGreaterThan(70);
    expect(flipped).toBeLessThan(130);
  });

  it('crop and translate only move pixels by at most the padding / shift', () => {
    // A single bright pixel in the middle of a 1x9x9 image lands within the allowed window.
    const s: ImageShape = [1, 9, 9];
    for (const aug of [randomCrop({ padding: 2 }), randomTranslate({ maxShift: 2 })]) {
      const seen = new Set<string>();
      for (let seed = 0; seed < 60; seed++) {
        const img = new Float32Array(81);
        img[4 * 9 + 4] = 1;
        aug(img, 1, s, new Rng(seed));
        const at = img.findIndex((v) => v === 1);
        expect(img.reduce((x, y) => x + y, 0)).toBe(1);
        const y = Math.floor(at / 9);
        const x = at % 9;
        expect(Math.abs(y - 4)).toBeLessThanOrEqual(2);
        expect(Math.abs(x - 4)).toBeLessThanOrEqual(2);
        seen.add(`${y},${x}`);
      }
      expect(seen.size).toBeGreaterThan(15);
    }
  });

  it('elastic distortion with alpha 0 is the identity', () => {
    const a = batch(4);
    elasticDistortion({ alpha: 0, sigma: 4 })(a, 4, shape, new Rng(1));
    expect(a).toEqual(batch(4));
  });

  it('padding 0 crop and maxShift 0 translate are identities', () => {
    const a = batch(3);
    randomCrop({ padding: 0 })(a, 3, shape, new Rng(1));
    randomTranslate({ maxShift: 0 })(a, 3, shape, new Rng(1));
    expect(a).toEqual(batch(3));
  });

  it('rejects bad options and a batch that does not fit the shape', () => {
    expect(() => randomCrop({ padding: -1 })).toThrow(/padding is -1 but expected a non-negative integer/);
    expect(() => randomCrop({ padding: 1, mode: 'wrap' as 'edge' })).toThrow(/mode is 'wrap'/);
    expect(() => elasticDistortion({ alpha: 1, sigma: 0 })).toThrow(/sigma is 0 but expected a finite number > 0/);
    expect(() => randomHorizontalFlip({ probability: 2 })).toThrow(/probability is 2/);
    expect(() => randomTranslate({ maxShift: Number.NaN })).toThrow(/maxShift is NaN/);
    expect(() => randomHorizontalFlip()(new Float32Array(10), 1, shape, new Rng(0))).toThrow(/batch.length is 10 but expected count \* C\*H\*W = 60/);
  });
});

describe('augmentHook (for core fit)', () => {
  it('works on standardised batches as on [0, 1] ones, padding with true black', () => {
    const stats = { mean: [0.3, 0.6], std: [0.5, 0.25] };
    // Shifted off zero, so any 0 after the crop is padding.
    const raw = batch(3).map((v) => v + 0.1);
    const std = raw.slice();
    for (let n = 0; n < 3; n++) for (let c = 0; c < 2; c++) for (let i = 0; i < 30; i++) {
      const k = n * 60 + c * 30 + i;
      std[k] = (raw[k]! - stats.mean[c]!) / stats.std[c]!;
    }
    const crop = randomCrop({ padding: 2 });
    crop(raw, 3, shape, new Rng(8));
    const hookBatch = { images: std, labels: new Int32Array(3), shape: [3, 2, 5, 6] };
    augmentHook(crop, { normalize: stats })(hookBatch, { rng: new Rng(8) });
    let sawPad = false;
    for (let n = 0; n < 3; n++) for (let c = 0; c < 2; c++) for (let i = 0; i < 30; i++) {
      const k = n * 60 + c * 30 + i;
      expect(hookBatch.images[k]).toBeCloseTo((raw[k]! - stats.mean[c]!) / stats.std[c]!, 5);
      if (raw[k] === 0) sawPad = true;
    }
    expect(sawPad).toBe(true);
    const plain = batch(2);
    augmentHook(randomHorizontalFlip({ probability: 1 }))({ images: plain, shape: [2, 2, 5, 6] }, { rng: new Rng(0) });
    expect(plain.subarray(0, 60)).toEqual(flipHorizontal(batch(1), shape));
    expect(() => augmentHook(crop)({ images: plain, shape: [2, 60] }, { rng: new Rng(0) })).toThrow(/batch.shape is \[2,60\] but expected \[n, C, H, W\]/);
  });
});
