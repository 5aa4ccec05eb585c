// Broadcasting binary op. Packed params (packed.wgsl): the BroadcastPlan encoding
// [rank, size, outShape x6, aStrides x6, bStrides x6].
// A BINARY_OP_* code (generated/spec.wgsl, from core's ENUMS).
override OP: u32 = 0u;
// 1 when a, b and out share one shape (flat indexing).
override SAME: bool = false;

@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

fn apply(u: f32, v: f32) -> f32 {
  switch (OP) {
    case BINARY_OP_ADD: { return u + v; }
    case BINARY_OP_SUB: { return u - v; }
    case BINARY_OP_MUL: { return u * v; }
    case BINARY_OP_DIV: { return u / v; }
    case BINARY_OP_MAX: {
      if (isNan(u) || isNan(v)) { return u + v; }
      return max(u, v);
    }
    case BINARY_OP_MIN: {
      if (isNan(u) || isNan(v)) { return u + v; }
      return min(u, v);
    }
    default: { return select(0.0, 1.0, u == v); }
  }
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg);
  let rank = word(BROADCAST_RANK);
  if (i >= word(BROADCAST_SIZE)) { return; }
  if (SAME) {
    y[i] = apply(a[i], b[i]);
    return;
  }
  var rest = i;
  var ia = 0;
  var ib = 0;
  for (var d = rank - 1; d >= 0; d--) {
    let dim = word(BROADCAST_OUT_SHAPE + d);
    let idx = rest % dim;
    rest = rest / dim;
    ia += idx * word(BROADCAST_A_STRIDES + d);
    ib += idx * word(BROADCAST_B_STRIDES + d);
  }
  y[i] = apply(a[ia], b[ib]);
}
