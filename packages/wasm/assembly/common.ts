// Every exported kernel has the signature (frame, u0, u1, scratch): the TypeScript side writes a call
// frame into linear memory (16 argument slots, then the core plan's `encoded` Int32Array) and hands
// each thread a range of work units [u0, u1) plus its own scratch area. One signature for every kernel
// keeps the worker loop generic and avoids long positional argument lists.

export const PLAN: usize = 64;

@inline export function argI(frame: usize, i: i32): i32 {
  return load<i32>(frame + (<usize>i << 2));
}
@inline export function argP(frame: usize, i: i32): usize {
  return <usize>load<u32>(frame + (<usize>i << 2));
}
@inline export function argF(frame: usize, i: i32): f32 {
  return load<f32>(frame + (<usize>i << 2));
}
@inline export function planI(frame: usize, i: i32): i32 {
  return load<i32>(frame + PLAN + (<usize>i << 2));
}
@inline export function f32At(base: usize, i: i32): f32 {
  return load<f32>(base + (<usize>i << 2));
}
@inline export function setF32(base: usize, i: i32, v: f32): void {
  store<f32>(base + (<usize>i << 2), v);
}
@inline export function imin(a: i32, b: i32): i32 {
  return a < b ? a : b;
}
@inline export function imax(a: i32, b: i32): i32 {
  return a > b ? a : b;
}

/** Zeroes n floats with 16-byte stores where possible. */
export function zeroF32(dst: usize, n: i32): void {
  let i = 0;
  const z = f32x4.splat(0);
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), z);
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), 0);
}

export function copyF32(dst: usize, src: usize, n: i32): void {
  memory.copy(dst, src, <usize>n << 2);
}

/** dst[i] = src[i] + res[i] (then max(0, .) when relu; NaN stays NaN) for n floats; dst may be src. */
export function addResidual(dst: usize, src: usize, res: usize, n: i32, relu: bool): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const at = <usize>i << 2;
    let v = f32x4.add(v128.load(src + at), v128.load(res + at));
    if (relu) v = f32x4.max(v, zero);
    v128.store(dst + at, v);
  }
  for (; i < n; i++) {
    const at = <usize>i << 2;
    let v = load<f32>(src + at) + load<f32>(res + at);
    if (relu) v = max<f32>(v, 0);
    store<f32>(dst + at, v);
  }
}

/** Elements per work unit for flat element-wise kernels (matches src/runtime.ts). */
export const CHUNK: i32 = 16384;

@inline export function chunkBegin(u0: i32): i32 {
  return u0 * CHUNK;
}
@inline export function chunkEnd(u1: i32, size: i32): i32 {
  return u1 * CHUNK < size ? u1 * CHUNK : size;
}
