// dx = dy * op'(x) given x and y = op(x); OP is a UNARY_OP_* code.
struct Params {
  size: i32,
  alpha: f32,
}

override OP: u32 = 0u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> y: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg);
  if (i >= p.size) { return; }
  let g = dy[i];
  let v = x[i];
  let o = y[i];
  var d = 1.0;
  switch (OP) {
    case UNARY_OP_RELU: { d = select(0.0, 1.0, v > 0.0); }
    case UNARY_OP_LEAKY_RELU: { d = select(p.alpha, 1.0, v > 0.0); }
    case UNARY_OP_ELU: { d = select(o + p.alpha, 1.0, v > 0.0); }
    case UNARY_OP_SIGMOID: { d = o * (1.0 - o); }
    case UNARY_OP_TANH: { d = 1.0 - o * o; }
    case UNARY_OP_EXP: { d = o; }
    case UNARY_OP_LOG: { d = 1.0 / v; }
    case UNARY_OP_SQRT: { d = 0.5 / o; }
    case UNARY_OP_NEG: { d = -1.0; }
    case UNARY_OP_SQUARE: { d = 2.0 * v; }
    default: { d = 1.0; }
  }
  dx[i] = g * d;
}
