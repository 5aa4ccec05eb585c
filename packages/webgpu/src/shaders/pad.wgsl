// Constant padding. Params mirror the PadPlan encoding [rank, inShape x6, before x6, after x6],
// then the output size and the pad value.
struct Params {
  e: array<vec4<i32>, 5>,
  value: f32,
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
  var inside = true;
  for (var d = rank - 1; d >= 0; d--) {
    let dim = word(1 + d);
    let outDim = word(7 + d) + dim + word(13 + d);
    let idx = rest % outDim - word(7 + d);
    rest = rest / outDim;
    if (idx < 0 || idx >= dim) { inside = false; }
    src += idx * stride;
    stride *= dim;
  }
  if (inside) {
    y[i] = x[src];
  } else {
    y[i] = p.value;
  }
}
