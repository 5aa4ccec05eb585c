// The direct convolution kernels (src/native/conv/*.inl), with and without the residual epilogue, against
// float64 loops on every ISA path this CPU runs, on geometries that take them: output-column segments that end mid-vector (16, 8 and 4 lanes),
// stride phases, dilation, groups, row bands (batches that do not divide the pool), rows side by side.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planConv2d, type Conv2dOptions } from '@stridenet/core';
import * as R from '@stridenet/conformance/reference';
import { maxRelError, random } from '../testing/values.js';
import { createNativeBackend, nativeIsas, type NativeBackend, type NativeBackendOptions } from '../index.js';

const cases: { name: string; x: number[]; w: number[]; o: Conv2dOptions }[] = [
  { name: '3x3 pad 1, 37 columns, batch 3 (row bands)', x: [3, 12, 20, 37], w: [24, 12, 3, 3], o: { padding: 1 } },
  { name: '3x3 stride 2 pad 1', x: [2, 8, 17, 33], w: [12, 8, 3, 3], o: { stride: 2, padding: 1 } },
  { name: 'stride 2x3, dilation 2, asymmetric pads', x: [1, 5, 23, 40], w: [9, 5, 3, 2], o: { stride: [2, 3], dilation: 2, padding: [1, 2, 0, 3] } },
  { name: 'groups 2', x: [2, 6, 12, 12], w: [16, 3, 3, 3], o: { groups: 2, padding: 1 } },
  { name: '5x5 valid, 10 columns (LeNet C3)', x: [4, 6, 14, 14], w: [16, 6, 5, 5], o: {} },
  { name: 'one output row of exactly 16 columns, 13 channels', x: [5, 4, 3, 18], w: [13, 4, 3, 3], o: {} },
  { name: 'deep K (630 taps)', x: [1, 70, 8, 8], w: [20, 70, 3, 3], o: { padding: 1 } },
  { name: 'padding beyond the kernel extent', x: [2, 4, 7, 7], w: [8, 4, 3, 3], o: { padding: 3 } },
  { name: 'narrow output: 8 columns, two rows per vector', x: [2, 8, 16, 16], w: [12, 8, 3, 3], o: { stride: 2, padding: 1 } },
  { name: 'narrow output: 6x6, batch 3', x: [3, 12, 8, 8], w: [10, 12, 3, 3], o: {} },
  { name: 'narrow output: 5 columns, 3 rows per vector, odd row count', x: [1, 6, 9, 7], w: [8, 6, 3, 3], o: {} },
  { name: 'narrow output: 1 column', x: [2, 4, 7, 3], w: [6, 4, 3, 3], o: {} },
  { name: 'input channels in chunks, partial sums through the output', x: [2, 80, 6, 62], w: [10, 80, 3, 3], o: { padding: 1 } },
  { name: 'channel chunks on a narrow output', x: [1, 260, 6, 6], w: [6, 260, 3, 3], o: { padding: 1 } },
  { name: 'small outputs, several images per task (batch 9)', x: [9, 8, 5, 5], w: [12, 8, 3, 3], o: { padding: 1 } },
  { name: 'small outputs, several images per task, 10 columns', x: [12, 6, 14, 14], w: [16, 6, 5, 5], o: {} },
  { name: 'stride 3, 2x2 kernel: input phases no tap reaches', x: [2, 4, 10, 11], w: [6, 4, 2, 2], o: { stride: 3 } },
  { name: 'stride 2, padding 2 (dy cropped and padded per phase)', x: [2, 5, 9, 12], w: [7, 5, 3, 3], o: { stride: 2, padding: 2 } },
  { name: '1x1 stride 2 (ResNet shortcut)', x: [3, 8, 9, 9], w: [16, 8, 1, 1], o: { stride: 2 } },
  // 64+ channels and 128+ outputs an image: the kept pixels gathered and run as a pointwise GEMM (Intel avx2, kernels/conv2d.cc).
  { name: '1x1 stride 2, 64 channels, 156 outputs an image, batch 3', x: [3, 64, 23, 25], w: [20, 64, 1, 1], o: { stride: 2 } },
  { name: '1x1 stride [3, 2], 72 channels, 144 outputs, batch 1', x: [1, 72, 46, 18], w: [17, 72, 1, 1], o: { stride: [3, 2] } },
  { name: 'flat positions across rows: 15 columns', x: [3, 5, 7, 17], w: [9, 5, 3, 3], o: {} },
  { name: 'flat positions across rows and images: 9 columns, batch 8', x: [8, 7, 11, 11], w: [10, 7, 3, 3], o: {} },
  { name: 'Winograd: 40 columns (two 16-tile vectors a row), odd height', x: [2, 16, 13, 40], w: [20, 16, 3, 3], o: { padding: 1 } },
  { name: 'Winograd: 16x16 output (two tile rows a vector), batch 1 split in chunks', x: [1, 24, 16, 16], w: [17, 24, 3, 3], o: { padding: 1 } },
  { name: 'Winograd: 15x15 valid output (odd, two tile rows a vector)', x: [3, 16, 17, 17], w: [16, 16, 3, 3], o: {} },
  { name: 'Winograd: asymmetric padding, 15 columns', x: [2, 18, 10, 16], w: [16, 18, 3, 3], o: { padding: [1, 0, 2, 1] } },
  { name: 'depthwise 3x3, 20 columns', x: [2, 8, 12, 20], w: [8, 1, 3, 3], o: { groups: 8, padding: 1 } },
  { name: 'depthwise, channel multiplier 2, stride 2', x: [3, 6, 11, 18], w: [12, 1, 3, 3], o: { groups: 6, stride: 2, padding: 1 } },
  { name: 'depthwise 5x5, narrow output', x: [2, 4, 9, 9], w: [4, 1, 5, 5], o: { groups: 4 } },
  { name: 'many output channels, 1 input channel', x: [2, 1, 28, 28], w: [40, 1, 5, 5], o: { padding: 2 } },
  // 8- and 4-lane paths take Winograd from 64 input channels and 8 output columns.
  { name: 'Winograd (8/4 lanes): 8x8 output, two tile rows per 8-lane vector', x: [2, 64, 8, 8], w: [16, 64, 3, 3], o: { padding: 1 } },
  { name: 'Winograd (8/4 lanes): 9 columns, 7 rows, 17 output channels', x: [1, 66, 7, 9], w: [17, 66, 3, 3], o: { padding: 1 } },
  { name: 'Winograd (8/4 lanes): 20 columns, odd height, batch 3', x: [3, 64, 11, 22], w: [24, 64, 3, 3], o: {} },
  { name: 'narrow output: 4 columns (two rows per 8-lane vector)', x: [2, 8, 6, 6], w: [12, 8, 3, 3], o: {} },
  { name: 'narrow output: 2 columns (two rows per 4-lane vector)', x: [3, 6, 4, 4], w: [8, 6, 3, 3], o: {} },
  { name: 'output-channel tiles of 6 with a remainder (20 channels)', x: [2, 9, 10, 11], w: [20, 9, 3, 3], o: { padding: 1 } },
  // Channels in the lanes (8-lane paths: 16 channels per panel) where output rows fill vectors badly.
  { name: 'channels in lanes: groups 2, stride 2, 11 columns', x: [3, 8, 13, 23], w: [32, 4, 3, 3], o: { groups: 2, stride: 2 } },
  { name: 'channels in lanes: 20 channels (a partial panel), 10 columns', x: [2, 6, 14, 14], w: [20, 6, 5, 5], o: {} },
];

const isas = nativeIsas();
const configs: { label: string; options: NativeBackendOptions }[] = [
  ...isas.map((isa) => ({ label: `${isa}, 2 threads`, options: { threads: 2, isa } })),
  { label: `${isas[0]}, 1 thread`, options: { threads: 1, isa: isas[0] } },
];

for (const cfg of configs) {
  describe(`Conv2D direct kernels vs float64 loops, ${cfg.label}`, () => {
    let b!: NativeBackend;
    beforeAll(async () => {
      b = await createNativeBackend(cfg.options);
    });
    afterAll(async () => {
      await b.dispose?.();
    });
    for (const c of cases) {
      it(c.name, () => {
        const get = (h: ReturnType<NativeBackend['upload']>) => {
          const out = b.readSync!(h);
          b.free(h);
          return out;
        };
        const plan = planConv2d(c.x, c.w, c.o);
        const x = random(plan.inShape.reduce((a, d) => a * d), 3);
        const w = random(plan.filterShape.reduce((a, d) => a * d), 5);
        const bias = random(plan.outChannels, 7);
        // The portable path multiplies and adds in two roundings where the CPU has no FMA (x86-64 baseline).
        const tol = b.isa === 'portable' ? 3e-5 : 1e-5;
        const [hx, hw, hb] = [x, w, bias].map((v) => b.upload(v));
        const y = get(b.kernels.Conv2D({ x: hx!, filter: hw!, bias: hb! }, { plan, activation: 'relu' }));
        expect(maxRelError(y, R.conv2d(x, w, bias, plan, 'relu'))).toBeLessThan(tol);
        const y2 = get(b.kernels.Conv2D({ x: hx!, filter: hw! }, { plan, activation: 'linear' }));
        expect(maxRelError(y2, R.conv2d(x, w, undefined, plan))).toBeLessThan(tol);
        // The residual epilogue of the same kernel: act(conv + bias + residual), with and without bias and relu.
        const dy = random(plan.outShape.reduce((a, d) => a * d), 11);
        const hdy = b.upload(dy);
        const y3 = get(b.kernels.Conv2D({ x: hx!, filter: hw!, bias: hb!, residual: hdy }, { plan, activation: 'relu' }));
        expect(maxRelError(y3, R.conv2d(x, w, bias, plan, 'relu', dy))).toBeLessThan(tol);
        const y4 = get(b.kernels.Conv2D({ x: hx!, filter: hw!, residual: hdy }, { plan, activation: 'linear' }));
        expect(maxRelError(y4, R.conv2d(x, w, undefined, plan, 'linear', dy))).toBeLessThan(tol);
        expect(maxRelError(get(b.kernels.Conv2DBackpropInput({ dy: hdy, filter: hw! }, { plan })), R.conv2dBackpropInput(dy, w, plan))).toBeLessThan(tol);
        expect(maxRelError(get(b.kernels.Conv2DBackpropFilter({ x: hx!, dy: hdy }, { plan })), R.conv2dBackpropFilter(x, dy, plan))).toBeLessThan(1e-4);
        for (const h of [hx!, hw!, hb!, hdy]) b.free(h);
        expect(b.memory().buffers).toBe(0);
      });
    }
  });
}

describe('isa option', () => {
  it('auto takes the fastest path; each path reports itself', async () => {
    const auto = await createNativeBackend({ threads: 1 });
    expect(auto.isa).toBe(isas[0]);
    await auto.dispose?.();
    for (const isa of isas) {
      const b = await createNativeBackend({ threads: 1, isa });
      expect(b.isa).toBe(isa);
      expect(b.info().device).toContain(isa === 'portable' ? 'portable' : isa === 'avx2' ? 'AVX2' : isa === 'neon' ? 'NEON' : 'AVX-512');
      await b.dispose?.();
    }
    expect(isas.at(-1)).toBe('portable');
  });

  it('rejects unknown names, paths this CPU lacks, and isa with the deprecated avx512 flag', async () => {
    await expect(createNativeBackend({ isa: 'sse9' as never })).rejects.toThrow(/isa is 'sse9' but expected 'auto' or one of 'avx512', 'avx2', 'neon', 'portable'/);
    const missing = (['avx512', 'avx2', 'neon'] as const).find((i) => !isas.includes(i))!;
    await expect(createNativeBackend({ isa: missing })).rejects.toThrow(
      new RegExp(`isa is '${missing}' but expected one this (x86-64|arm64|other) CPU runs: ${isas.map((i) => `'${i}'`).join(', ')}`),
    );
    await expect(createNativeBackend({ isa: 'portable', avx512: false })).rejects.toThrow(/avx512 is false but expected to be left out when isa is given/);
    await expect(createNativeBackend({ avx512: 'yes' as never })).rejects.toThrow(/avx512.*'yes'.*true or false/s);
  });

  it('avx512: false (deprecated) keeps an AVX-512 CPU on its next path', async () => {
    const b = await createNativeBackend({ threads: 1, avx512: false });
    expect(b.isa).toBe(isas.find((i) => i !== 'avx512'));
    await b.dispose?.();
  });
});
