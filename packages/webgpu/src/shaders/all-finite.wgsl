// AllFinite over up to four tensors a dispatch: threads run over x0's size0 values, then x1's, and
// so on (unused slots have size 0). `flag` holds the bits of 1.0 (set by the host) and any thread
// that meets NaN or ±Inf (all exponent bits set) stores 0 there; every such store writes the same 0.
struct Params {
  size0: i32,
  size1: i32,
  size2: i32,
  size3: i32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x0: array<f32>;
@group(0) @binding(2) var<storage, read> x1: array<f32>;
@group(0) @binding(3) var<storage, read> x2: array<f32>;
@group(0) @binding(4) var<storage, read> x3: array<f32>;
@group(0) @binding(5) var<storage, read_write> flag: array<atomic<u32>>;

fn valueAt(i: i32) -> f32 {
  var j = i;
  if (j < p.size0) { return x0[j]; }
  j -= p.size0;
  if (j < p.size1) { return x1[j]; }
  j -= p.size1;
  if (j < p.size2) { return x2[j]; }
  return x3[j - p.size2];
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg);
  if (i >= p.size0 + p.size1 + p.size2 + p.size3) { return; }
  if ((bitcast<u32>(valueAt(i)) & 0x7f800000u) == 0x7f800000u) { atomicStore(&flag[0], 0u); }
}
