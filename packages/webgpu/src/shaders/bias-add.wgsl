// y = x + bias[channel] with x seen as [outer, channels, inner].
@group(0) @binding(0) var<uniform> p: ChannelPlan;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg);
  if (i >= p.outer * p.channels * p.inner) { return; }
  y[i] = x[i] + bias[(i / p.inner) % p.channels];
}
