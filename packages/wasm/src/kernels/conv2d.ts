import { conv2dMacs, sizeOf, type Conv2dPlan, type KernelFn } from '@stridenet/core';
import { KC, MR, TILE_FLOATS, type WasmHandle } from '../runtime.js';
import { activationFlag } from '../checks/attrs.js';
import { launch, optional, type KernelCall } from '../checks/call.js';
import { checkConv2dPlan } from '../checks/plans.js';

/** Target output positions per GEMM column block (a packed B block of about KC x NC floats per thread). */
const NC = 256;
/** Output rows at least this long are packed as runs of v128 copies; shorter ones by a gathered table. */
const MIN_RUN = 8;

const roundUp = (v: number, m: number): number => Math.ceil(v / m) * m;

/** Column blocking and per-thread scratch layout, read by assembly/kernels/conv2d.ts from the frame. */
export function conv2dBlocking(plan: Conv2dPlan): { ncb: number; imagesPerBlock: number; units: number; scratchBytes: number; cOff: number; tOff: number } {
  const outPositions = plan.outHeight * plan.outWidth;
  let ncb: number;
  let imagesPerBlock = 0;
  let blocks: number;
  if (outPositions >= NC || plan.batch === 1) {
    // Equal blocks within each image, a multiple of the panel width.
    const perImage = Math.ceil(outPositions / NC);
    ncb = roundUp(Math.ceil(outPositions / perImage), 8);
    blocks = plan.batch * Math.ceil(outPositions / ncb);
  } else {
    // Small images: whole images per block, spread evenly over the blocks.
    const total = Math.ceil((plan.batch * outPositions) / NC);
    imagesPerBlock = Math.ceil(plan.batch / total);
    ncb = imagesPerBlock * outPositions;
    blocks = Math.ceil(plan.batch / imagesPerBlock);
  }
  const gather = !((plan.strideWidth === 1 || plan.strideWidth === 2) && plan.outWidth >= MIN_RUN);
  const panelFloats = (KC + 1) * roundUp(ncb, 8);
  let bytes = roundUp((panelFloats + TILE_FLOATS) * 4, 64);
  let cOff = 0;
  let tOff = 0;
  if (imagesPerBlock > 0) {
    cOff = bytes;
    bytes += roundUp((plan.outChannels / plan.groups) * ncb * 4, 64);
  }
  if (gather) {
    tOff = bytes;
    bytes += roundUp(3 * ncb * 4, 64);
  }
  return { ncb, imagesPerBlock, units: plan.groups * blocks, scratchBytes: bytes, cOff, tOff };
}

/**
 * Winograd F(2x2, 3x3) (assembly/winograd.ts) where it applies: 3x3, stride 1, no dilation, one
 * group, pads of at most 1, and enough channels for its 16 GEMMs to pay for the transforms.
 */
export function winogradFits(plan: Conv2dPlan): boolean {
  return (
    plan.kernelHeight === 3 && plan.kernelWidth === 3 && plan.strideHeight === 1 && plan.strideWidth === 1 &&
    plan.dilationHeight === 1 && plan.dilationWidth === 1 && plan.groups === 1 &&
    Math.max(plan.padTop, plan.padBottom, plan.padLeft, plan.padRight) <= 1 &&
    plan.inChannels >= 16 && plan.outChannels >= 16 && plan.outHeight >= 2 && plan.outWidth >= 2
  );
}

/**
 * Scratch floats per thread for one Winograd block (16 input transforms, one product, four output
 * accumulators), which sets the tiles per block, at most MAX_TILES: wide enough that each filter
 * transform panel serves several B panels, small enough to stay near L2.
 */
const WINOGRAD_FLOATS = 1 << 18;
const MAX_TILES = 64;

type Conv2DCall = KernelCall<{ x: WasmHandle; filter: WasmHandle; bias?: WasmHandle; residual?: WasmHandle }>;

function conv2dWinograd(k: Conv2DCall, plan: Conv2dPlan, relu: number): WasmHandle {
  const cin = plan.inChannels;
  const cout = plan.outChannels;
  const tileRows = Math.ceil(plan.outHeight / 2);
  const tilesPerRow = roundUp(Math.ceil(plan.outWidth / 2), 4);
  const tiles = plan.batch * tileRows * tilesPerRow;
  const perBlock = Math.max(8, Math.min(MAX_TILES, Math.floor(WINOGRAD_FLOATS / (16 * cin + 5 * cout) / 8) * 8));
  const uStride = Math.ceil(cout / MR) * MR * cin;
  const y = k.output(sizeOf(plan.outShape));
  const packed = k.scratch(16 * uStride * 4);
  // Transform planes are planeFloats apart (assembly/winograd.ts): the plane plus a 16-float skew.
  const mOff = roundUp(16 * (cin * perBlock + 16) * 4, 64);
  const yOff = mOff + roundUp(cout * perBlock * 4, 64);
  const tileOff = yOff + roundUp(4 * (cout * perBlock + 16) * 4, 64);
  const frame = k.frame(
    [k.ptr.x, k.ptr.filter, k.ptr.bias, k.addr(y), relu, perBlock, packed, tilesPerRow, mOff, yOff, tileOff, uStride, k.ptr.residual],
    plan.encoded,
  );
  k.run('conv2dWinogradFilter', frame, 16, { scratchBytes: cout * cin * 4, work: 16 * cout * cin * 12 });
  k.run('conv2dWinograd', frame, Math.ceil(tiles / perBlock), {
    scratchBytes: tileOff + TILE_FLOATS * 4,
    work: tiles * 16 * cin * cout,
  });
  return y;
}

/**
 * Scratch floats per thread for one F(4x4, 3x3) block (36 input transforms and 36 product planes per
 * tile), which sets its tiles per block, at most MAX_TILES4: 192 KiB, so a block stays in L2 (measured
 * 4-8 % faster than 384 KiB and 64 tiles on ResNet-20's layers, bench/winograd-probe.ts).
 */
const WINOGRAD4_FLOATS = 48 * 1024;
const MAX_TILES4 = 32;
/** Bytes of the transforms' temporaries (assembly/winograd4.ts WINO4_TMP_BYTES). */
const WINOGRAD4_TMP_BYTES = 72 * 16 + 64;

/**
 * Winograd F(4x4, 3x3) with the filter transforms made once and kept with the filter: only for a
 * filter core marked constant (Backend.markConstant, compiled models); undefined otherwise.
 */
function conv2dWinograd4(k: Conv2DCall, filter: WasmHandle, plan: Conv2dPlan, relu: number): WasmHandle | undefined {
  const cin = plan.inChannels;
  const cout = plan.outChannels;
  const uStride = Math.ceil(cout / MR) * MR * cin;
  const args = (packed: number, y = 0, perBlock = 0, tilesPerRow = 0, offs = [0, 0, 0]) =>
    [k.ptr.x, k.ptr.filter, k.ptr.bias, y, relu, perBlock, packed, tilesPerRow, ...offs, uStride, k.ptr.residual];
  const packed = k.rt.derived(filter, `winograd4 ${cout}x${cin}`, 36 * uStride * 4, (p) => {
    k.run('conv2dWinograd4Filter', k.frame(args(p), plan.encoded), 36, { scratchBytes: cout * cin * 4, work: 36 * cout * cin * 20 });
  });
  if (packed === undefined) return undefined;
  const tileRows = Math.ceil(plan.outHeight / 4);
  const tilesPerRow = Math.ceil(plan.outWidth / 4);
  const tiles = plan.batch * tileRows * tilesPerRow;
  const perBlock = Math.max(8, Math.min(MAX_TILES4, Math.floor(WINOGRAD4_FLOATS / (36 * (cin + cout)) / 8) * 8));
  // 36 planes each of V and M, 16 floats apart beyond their size (assembly/winograd4.ts planeFloats).
  const mOff = roundUp(36 * (cin * perBlock + 16) * 4, 64);
  const tmpOff = mOff + roundUp(36 * (cout * perBlock + 16) * 4, 64);
  const tileOff = tmpOff + WINOGRAD4_TMP_BYTES;
  const y = k.output(sizeOf(plan.outShape));
  const frame = k.frame(args(packed, k.addr(y), perBlock, tilesPerRow, [mOff, tmpOff, tileOff]), plan.encoded);
  k.run('conv2dWinograd4', frame, Math.ceil(tiles / perBlock), { scratchBytes: tileOff + TILE_FLOATS * 4, work: tiles * 36 * cin * cout });
  return y;
}

/**
 * Checks the plan, the activation and every buffer, then runs Winograd (F(4x4, 3x3) for a constant
 * filter, else F(2x2, 3x3)) or im2col + GEMM (bias, residual and relu in their epilogues).
 */
export const conv2d: KernelFn<WasmHandle, 'Conv2D'> = (inputs, attrs) => {
  const plan = checkConv2dPlan('Conv2D', attrs);
  const relu = activationFlag('Conv2D', attrs.activation);
  const sizes = { x: sizeOf(plan.inShape), filter: sizeOf(plan.filterShape), bias: optional(plan.outChannels), residual: optional(sizeOf(plan.outShape)) };
  return launch('Conv2D', inputs, sizes, (k) => {
    if (!winogradFits(plan)) return conv2dIm2col(k, plan, relu);
    return conv2dWinograd4(k, inputs.filter, plan, relu) ?? conv2dWinograd(k, plan, relu);
  });
};

function conv2dIm2col(k: Conv2DCall, plan: Conv2dPlan, relu: number): WasmHandle {
  const groups = plan.groups;
  const perGroupOut = plan.outChannels / groups;
  const depth = (plan.inChannels / groups) * plan.kernelHeight * plan.kernelWidth;
  const y = k.output(sizeOf(plan.outShape));
  const packed = k.scratch(groups * Math.ceil(perGroupOut / MR) * MR * depth * 4);
  const b = conv2dBlocking(plan);
  const frame = k.frame(
    [k.ptr.x, k.ptr.filter, k.ptr.bias, k.addr(y), relu, b.ncb, packed, b.imagesPerBlock, b.cOff, b.tOff, k.ptr.residual],
    plan.encoded,
  );
  k.run('conv2dPackFilter', frame, groups, { work: plan.outChannels * depth });
  k.run('conv2d', frame, b.units, { scratchBytes: b.scratchBytes, work: conv2dMacs(plan) });
  return y;
}
