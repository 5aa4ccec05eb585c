// In place Adam / AdamW (adamStep, prelude 'adam') on two tensors in one dispatch: threads below
// size0 update tensor 0, the next size1 threads tensor 1. Two tensors take all 8 storage bindings a
// stage is guaranteed; a last odd tensor goes through adam-update.wgsl.
struct Params {
  size0: i32,
  size1: i32,
  // Uniform struct members start on 16 bytes: the host pads the ints to four words.
  @align(16) s: AdamSettings,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> grad0: array<f32>;
@group(0) @binding(2) var<storage, read> grad1: array<f32>;
@group(0) @binding(3) var<storage, read_write> param0: array<f32>;
@group(0) @binding(4) var<storage, read_write> m0: array<f32>;
@group(0) @binding(5) var<storage, read_write> v0: array<f32>;
@group(0) @binding(6) var<storage, read_write> param1: array<f32>;
@group(0) @binding(7) var<storage, read_write> m1: array<f32>;
@group(0) @binding(8) var<storage, read_write> v1: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg);
  if (i < p.size0) {
    let r = adamStep(p.s, param0[i], grad0[i], m0[i], v0[i]);
    param0[i] = r.x;
    m0[i] = r.y;
    v0[i] = r.z;
    return;
  }
  let j = i - p.size0;
  if (j >= p.size1) { return; }
  let r = adamStep(p.s, param1[j], grad1[j], m1[j], v1[j]);
  param1[j] = r.x;
  m1[j] = r.y;
  v1[j] = r.z;
}
