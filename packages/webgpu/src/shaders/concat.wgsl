// Copies one input of a concatenation (one dispatch per input) into its column block of the output
// seen as [outer, rowSize]: out[o * rowSize + offset + j] = x[o * blockSize + j].
struct Params {
  outer: i32,
  blockSize: i32,
  rowSize: i32,
  offset: i32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg);
  if (i >= p.outer * p.blockSize) { return; }
  let o = i / p.blockSize;
  y[o * p.rowSize + p.offset + (i - o * p.blockSize)] = x[i];
}
