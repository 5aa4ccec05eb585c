// Opt-in prelude for the gather shaders (DispatchSpec.prelude 'gather'; expand, slice, transpose, pad),
// put after packed.wgsl: one input x, one output y, and an entry point that writes y[i] = gather(i)
// for every i below word(SIZE_WORD). Each gather shader defines SIZE_WORD (a generated plan offset)
// and fn gather(i: i32) -> f32.
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg);
  if (i >= word(SIZE_WORD)) { return; }
  y[i] = gather(i);
}
