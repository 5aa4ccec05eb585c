// In place Adam / AdamW on one tensor (adamStep, prelude 'adam').
struct Params {
  size: i32,
  // Uniform struct members start on 16 bytes: the host pads the ints to four words.
  @align(16) s: AdamSettings,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> param: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg);
  if (i >= p.size) { return; }
  let r = adamStep(p.s, param[i], grad[i], m[i], v[i]);
  param[i] = r.x;
  m[i] = r.y;
  v[i] = r.z;
}
