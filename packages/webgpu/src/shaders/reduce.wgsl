// [outer, reduce, inner] -> [outer, inner]: one 64-thread workgroup per output; max propagates NaN.
// A REDUCE_OP_* code (generated/spec.wgsl, from core's ENUMS).
override OP: u32 = 0u;

@group(0) @binding(0) var<uniform> p: ReducePlan;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

// One workgroup array per reduction, so no reduction's reads race the next one's writes
// (Mesa's GL path showed exactly that race when one array was reused).
var<workgroup> stage0: array<f32, 256>;
var<workgroup> stage1: array<f32, 256>;

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let out = i32(wid.x + wid.y * nwg.x);
  let valid = out < p.outer * p.inner;
  let o = out / p.inner;
  let base = o * p.reduce * p.inner + (out - o * p.inner);
  var r: f32;
  if (OP == REDUCE_OP_MAX) {
    var m = negInf();
    if (valid) {
      for (var j = i32(lid); j < p.reduce; j += 64) {
        let v = x[base + j * p.inner];
        if (isNan(v) || v > m) { m = v; }
        if (isNan(m)) { break; }
      }
    }
    r = reduceMax(&stage0, lid, m, 64u);
  } else {
    var s = 0.0;
    if (valid) {
      for (var j = i32(lid); j < p.reduce; j += 64) { s += x[base + j * p.inner]; }
    }
    r = reduceSum(&stage1, lid, s, 64u);
    if (OP == REDUCE_OP_MEAN) { r = r / f32(p.reduce); }
  }
  if (lid == 0u && valid) { y[out] = r; }
}
