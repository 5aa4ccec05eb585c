// In place Adam / AdamW. 1 - beta and the bias corrections 1 - beta^step come from the host in
// float64: 1.0 - 0.999 rounded in f32 is already 1.3e-5 off.
struct Params {
  size: i32,
  decoupled: i32,
  lr: f32,
  beta1: f32,
  beta2: f32,
  epsilon: f32,
  weightDecay: f32,
  correction1: f32,
  correction2: f32,
  oneMinusBeta1: f32,
  oneMinusBeta2: f32,
  lrDecay: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> param: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = i32(gid.x + gid.y * nwg.x * 256u);
  if (i >= p.size) { return; }
  var w = param[i];
  var g = grad[i];
  if (p.decoupled != 0) {
    w = w - p.lrDecay * w;
  } else {
    g = g + p.weightDecay * w;
  }
  let m1 = p.beta1 * m[i] + p.oneMinusBeta1 * g;
  let v1 = p.beta2 * v[i] + p.oneMinusBeta2 * g * g;
  m[i] = m1;
  v[i] = v1;
  let mhat = m1 / p.correction1;
  let vhat = v1 / p.correction2;
  param[i] = w - p.lr * mhat / (sqrt(vhat) + p.epsilon);
}
