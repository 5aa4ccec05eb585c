// out = x[begin[d] .. begin[d] + outShape[d]) per axis. Params mirror the SlicePlan encoding
// [rank, inShape x6, begin x6, outShape x6] plus the output size, packed into vec4s.
struct Params {
  e: array<vec4<i32>, 5>,
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
  if (i >= word(19)) { return; }
  let rank = word(0);
  var rest = i;
  var src = 0;
  var stride = 1;
  for (var d = rank - 1; d >= 0; d--) {
    let dim = word(13 + d);
    let idx = rest % dim;
    rest = rest / dim;
    src += (idx + word(7 + d)) * stride;
    stride *= word(1 + d);
  }
  y[i] = x[src];
}
