// y = gamma * (x - mean) / sqrt(variance + epsilon) + beta per channel of [outer, channels, inner].
struct Params {
  plan: ChannelPlan,
  epsilon: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> beta: array<f32>;
@group(0) @binding(4) var<storage, read> mean: array<f32>;
@group(0) @binding(5) var<storage, read> variance: array<f32>;
@group(0) @binding(6) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg);
  if (i >= p.plan.outer * p.plan.channels * p.plan.inner) { return; }
  let c = (i / p.plan.inner) % p.plan.channels;
  y[i] = gamma[c] * (x[i] - mean[c]) / sqrt(variance[c] + p.epsilon) + beta[c];
}
