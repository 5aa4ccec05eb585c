// Broadcasting binary op. Params mirror the BroadcastPlan encoding:
// [rank, size, outShape x6, aStrides x6, bStrides x6], packed four words to a vec4 (uniform arrays
// need 16-byte elements).
struct Params {
  e: array<vec4<i32>, 5>,
}

// 0 add, 1 sub, 2 mul, 3 div, 4 max, 5 min, 6 equal
override OP: u32 = 0u;
// 1 when a, b and out share one shape (flat indexing).
override SAME: bool = false;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

fn word(k: i32) -> i32 {
  return p.e[k / 4][k % 4];
}

// Bit test, because comparisons with NaN may be folded away by shader compilers.
fn isNan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

fn apply(u: f32, v: f32) -> f32 {
  switch (OP) {
    case 0u: { return u + v; }
    case 1u: { return u - v; }
    case 2u: { return u * v; }
    case 3u: { return u / v; }
    case 4u: {
      if (isNan(u) || isNan(v)) { return u + v; }
      return max(u, v);
    }
    case 5u: {
      if (isNan(u) || isNan(v)) { return u + v; }
      return min(u, v);
    }
    default: { return select(0.0, 1.0, u == v); }
  }
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = i32(gid.x + gid.y * nwg.x * 256u);
  let rank = word(0);
  if (i >= word(1)) { return; }
  if (SAME) {
    y[i] = apply(a[i], b[i]);
    return;
  }
  var rest = i;
  var ia = 0;
  var ib = 0;
  for (var d = rank - 1; d >= 0; d--) {
    let dim = word(2 + d);
    let idx = rest % dim;
    rest = rest / dim;
    ia += idx * word(8 + d);
    ib += idx * word(14 + d);
  }
  y[i] = apply(a[ia], b[ib]);
}
