// x repeated along broadcast axes to the output shape. Params mirror the ExpandPlan encoding:
// [rank, size, outShape x6, inStrides x6], packed four words to a vec4 (uniform arrays need
// 16-byte elements).
struct Params {
  e: array<vec4<i32>, 4>,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

fn word(k: i32) -> i32 {
  return p.e[k / 4][k % 4];
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = i32(gid.x + gid.y * nwg.x * 256u);
  if (i >= word(EXPAND_SIZE)) { return; }
  var rest = i;
  var src = 0;
  for (var d = word(EXPAND_RANK) - 1; d >= 0; d--) {
    let dim = word(EXPAND_OUT_SHAPE + d);
    src += (rest % dim) * word(EXPAND_IN_STRIDES + d);
    rest = rest / dim;
  }
  y[i] = x[src];
}
