// Softmax or log-softmax of each row (one 64-thread workgroup per row), max-subtracted.
override LOG: bool = false;

@group(0) @binding(0) var<uniform> p: RowsPlan;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

// One workgroup array per reduction, so no reduction's reads race the next one's writes
// (Mesa's GL path showed exactly that race when one array was reused).
var<workgroup> stage0: array<f32, 256>;
var<workgroup> stage1: array<f32, 256>;

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = i32(wid.x + wid.y * nwg.x);
  let valid = row < p.rows;
  let base = row * p.cols;
  var m = negInf();
  if (valid) {
    for (var j = i32(lid); j < p.cols; j += 64) {
      let v = x[base + j];
      if (isNan(v) || v > m) { m = v; }
    }
  }
  let mx = reduceMax(&stage0, lid, m, 64u);
  var s = 0.0;
  if (valid) {
    for (var j = i32(lid); j < p.cols; j += 64) { s += exp(x[base + j] - mx); }
  }
  let total = reduceSum(&stage1, lid, s, 64u);
  if (!valid) { return; }
  if (LOG) {
    let lse = log(total);
    for (var j = i32(lid); j < p.cols; j += 64) { y[base + j] = x[base + j] - mx - lse; }
  } else {
    let inv = 1.0 / total;
    for (var j = i32(lid); j < p.cols; j += 64) { y[base + j] = exp(x[base + j] - mx) * inv; }
  }
}
