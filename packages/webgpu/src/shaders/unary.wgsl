// Element-wise unary op; OP numbers follow UNARY_OPS in src/kernels/unary.ts. NaN passes through.
struct Params {
  size: i32,
  alpha: f32,
}

override OP: u32 = 0u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

// Bit test: some shader compilers (Mesa GL) treat a comparison with NaN as true.
fn isNan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

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
  let i = i32(gid.x + gid.y * nwg.x * 256u);
  if (i >= p.size) { return; }
  let v = x[i];
  var r = v;
  switch (OP) {
    case 0u: { r = select(v, 0.0, v < 0.0 && !isNan(v)); }
    case 1u: { r = select(p.alpha * v, v, v > 0.0); }
    case 2u: { r = select(p.alpha * (exp(v) - 1.0), v, v > 0.0); }
    case 3u: { r = sigmoid(v); }
    case 4u: { r = safeTanh(v); }
    case 5u: { r = exp(v); }
    case 6u: { r = log(v); }
    case 7u: { r = sqrt(v); }
    case 8u: { r = -v; }
    case 9u: { r = v * v; }
    default: { r = v; }
  }
  y[i] = r;
}
