// In place, PyTorch SGD on one tensor (sgdStep, prelude 'sgd').
struct Params {
  size: i32,
  nesterov: i32,
  lr: f32,
  momentum: f32,
  weightDecay: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> param: array<f32>;
@group(0) @binding(3) var<storage, read_write> velocity: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg);
  if (i >= p.size) { return; }
  let r = sgdStep(param[i], grad[i], velocity[i], p.lr, p.momentum, p.weightDecay, p.nesterov != 0);
  param[i] = r.x;
  velocity[i] = r.y;
}
