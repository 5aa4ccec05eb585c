// BatchNormTrain's running statistics, dispatched right after batch-norm-train.wgsl in the same pass:
// r = r * keep + s * take per channel (s the batch mean, or the biased variance with take scaled to unbiased).
override HAS_RUNNING_MEAN: bool = false;
override HAS_RUNNING_VAR: bool = false;

struct Params {
  channels: i32,
  keep: f32,
  takeMean: f32,
  takeVar: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> mean: array<f32>;
@group(0) @binding(2) var<storage, read> variance: array<f32>;
@group(0) @binding(3) var<storage, read_write> runningMean: array<f32>;
@group(0) @binding(4) var<storage, read_write> runningVar: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = flatIndex(gid, nwg);
  if (c >= p.channels) { return; }
  if (HAS_RUNNING_MEAN) { runningMean[c] = runningMean[c] * p.keep + mean[c] * p.takeMean; }
  if (HAS_RUNNING_VAR) { runningVar[c] = runningVar[c] * p.keep + variance[c] * p.takeVar; }
}
