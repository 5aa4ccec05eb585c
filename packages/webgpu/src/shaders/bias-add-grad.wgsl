// dbias[c] = sum of dy over outer and inner: one workgroup per channel, strided partial sums
// reduced in workgroup memory.
@group(0) @binding(0) var<uniform> p: ChannelPlan;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dbias: array<f32>;

var<workgroup> partial: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = i32(wid.x + wid.y * nwg.x);
  let count = p.outer * p.inner;
  var s = 0.0;
  if (c < p.channels) {
    for (var j = i32(lid); j < count; j += 256) {
      let o = j / p.inner;
      s += dy[(o * p.channels + c) * p.inner + (j - o * p.inner)];
    }
  }
  partial[lid] = s;
  workgroupBarrier();
  for (var step = 128u; step > 0u; step >>= 1u) {
    if (lid < step) { partial[lid] += partial[lid + step]; }
    workgroupBarrier();
  }
  if (lid == 0u && c < p.channels) { dbias[c] = partial[0]; }
}
