// Helpers every shader may call: prepended, with the generated constants (generated/spec.wgsl), to each
// shader by GpuRuntime when it compiles the module (WGSL has no include). Only functions of their
// arguments live here: a shader's bindings, Params struct and workgroup arrays stay in its own file.

// Bit test, because comparisons with NaN may be folded away by shader compilers (Mesa GL treats a
// comparison with NaN as true).
fn isNan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// Flat index of a thread of a one-dimensional grid (256 threads a workgroup, folded into y by
// GpuRuntime.grid when x would exceed the device limit).
fn flatIndex(gid: vec3<u32>, nwg: vec3<u32>) -> i32 {
  return i32(gid.x + gid.y * nwg.x * 256u);
}

// -inf from a private variable: a constant-expression bitcast to an infinity is rejected by WGSL.
var<private> NEG_INF_BITS: u32 = 0xff800000u;

fn negInf() -> f32 {
  return bitcast<f32>(NEG_INF_BITS);
}

// Tree reductions across the first `threads` (a power of two, at most 256) threads of a workgroup;
// every thread gets the result. Each reduction takes its own workgroup array, so no reduction's reads
// race the next one's writes (Mesa's GL path showed exactly that race when one array was reused).
fn reduceSum(partial: ptr<workgroup, array<f32, 256>>, lid: u32, v: f32, threads: u32) -> f32 {
  (*partial)[lid] = v;
  workgroupBarrier();
  for (var step = threads / 2u; step > 0u; step >>= 1u) {
    if (lid < step) { (*partial)[lid] += (*partial)[lid + step]; }
    workgroupBarrier();
  }
  return (*partial)[0];
}

// Knuth's TwoSum: s = fl(a + b) and e with a + b = s + e exactly. Compensated sums carry (sum, error)
// pairs, so float32 terms that nearly cancel (batch norm's gradient sums) keep float64-like accuracy.
// `one` must be 1.0 read from a buffer: shader compilers reassociate float math (lavapipe turned e into
// 0), and every step multiplied by a value they cannot see keeps the steps apart; times 1 is exact.
fn twoSum(a: f32, b: f32, one: f32) -> vec2<f32> {
  let s = (a + b) * one;
  let bb = (s - a) * one;
  let av = (s - bb) * one;
  return vec2<f32>(s, (a - av) * one + (b - bb) * one);
}

// Adds v to the compensated sum acc = (sum, error).
fn addCompensated(acc: vec2<f32>, v: f32, one: f32) -> vec2<f32> {
  let t = twoSum(acc.x, v, one);
  return vec2<f32>(t.x, acc.y + t.y);
}

// reduceSum over the compensated (sum, error) pairs of all 256 threads; every thread gets sum + error.
fn reduceSumCompensated(partial: ptr<workgroup, array<vec2<f32>, 256>>, lid: u32, v: vec2<f32>, one: f32) -> f32 {
  (*partial)[lid] = v;
  workgroupBarrier();
  // The upper half of the live pairs folds onto the lower half until one pair is left.
  for (var half = 128u; half > 0u; half >>= 1u) {
    if (lid < half) {
      let t = twoSum((*partial)[lid].x, (*partial)[lid + half].x, one);
      (*partial)[lid] = vec2<f32>(t.x, t.y + ((*partial)[lid].y + (*partial)[lid + half].y));
    }
    workgroupBarrier();
  }
  return (*partial)[0].x + (*partial)[0].y;
}

// Max that propagates NaN.
fn reduceMax(partial: ptr<workgroup, array<f32, 256>>, lid: u32, v: f32, threads: u32) -> f32 {
  (*partial)[lid] = v;
  workgroupBarrier();
  for (var step = threads / 2u; step > 0u; step >>= 1u) {
    if (lid < step) {
      let a = (*partial)[lid];
      let b = (*partial)[lid + step];
      if (isNan(b) || b > a) { (*partial)[lid] = b; }
    }
    workgroupBarrier();
  }
  return (*partial)[0];
}
