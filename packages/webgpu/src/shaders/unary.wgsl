// Element-wise unary op; OP is a UNARY_OP_* code (generated/spec.wgsl, from core's ENUMS). NaN passes through.
struct Params {
  size: i32,
  alpha: f32,
}

override OP: u32 = 0u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

// tanh from exp(-2|v|), which cannot overflow (some drivers' tanh returns NaN for large |v|).
fn safeTanh(v: f32) -> f32 {
  let t = exp(-2.0 * abs(v));
  let r = (1.0 - t) / (1.0 + t);
  return select(r, -r, v < 0.0);
}

fn sigmoid(v: f32) -> f32 {
  if (v >= 0.0) { return 1.0 / (1.0 + exp(-v)); }
  let e = exp(v);
  return e / (1.0 + e);
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg);
  if (i >= p.size) { return; }
  let v = x[i];
  var r = v;
  switch (OP) {
    case UNARY_OP_RELU: { r = select(v, 0.0, v < 0.0 && !isNan(v)); }
    case UNARY_OP_LEAKY_RELU: { r = select(p.alpha * v, v, v > 0.0); }
    case UNARY_OP_ELU: { r = select(p.alpha * (exp(v) - 1.0), v, v > 0.0); }
    case UNARY_OP_SIGMOID: { r = sigmoid(v); }
    case UNARY_OP_TANH: { r = safeTanh(v); }
    case UNARY_OP_EXP: { r = exp(v); }
    case UNARY_OP_LOG: { r = log(v); }
    case UNARY_OP_SQRT: { r = sqrt(v); }
    case UNARY_OP_NEG: { r = -v; }
    case UNARY_OP_SQUARE: { r = v * v; }
    default: { r = v; }
  }
  y[i] = r;
}
