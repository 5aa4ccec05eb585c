// In place, PyTorch SGD (sgdStep, prelude 'sgd') on two tensors in one dispatch: threads below size0
// update tensor 0, the next size1 threads tensor 1. Two tensors take 6 of the 8 storage bindings a
// stage is guaranteed; a last odd tensor goes through sgd-update.wgsl.
struct Params {
  size0: i32,
  size1: i32,
  nesterov: i32,
  lr: f32,
  momentum: f32,
  weightDecay: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> grad0: array<f32>;
@group(0) @binding(2) var<storage, read> grad1: array<f32>;
@group(0) @binding(3) var<storage, read_write> param0: array<f32>;
@group(0) @binding(4) var<storage, read_write> velocity0: array<f32>;
@group(0) @binding(5) var<storage, read_write> param1: array<f32>;
@group(0) @binding(6) var<storage, read_write> velocity1: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg);
  let nesterov = p.nesterov != 0;
  if (i < p.size0) {
    let r = sgdStep(param0[i], grad0[i], velocity0[i], p.lr, p.momentum, p.weightDecay, nesterov);
    param0[i] = r.x;
    velocity0[i] = r.y;
    return;
  }
  let j = i - p.size0;
  if (j >= p.size1) { return; }
  let r = sgdStep(param1[j], grad1[j], velocity1[j], p.lr, p.momentum, p.weightDecay, nesterov);
  param1[j] = r.x;
  velocity1[j] = r.y;
}
