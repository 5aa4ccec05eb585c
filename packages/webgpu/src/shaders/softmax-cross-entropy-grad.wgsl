// dlogits = dloss[row] * (sum(labels of the row) * softmax(logits) - labels). One workgroup per row.
@group(0) @binding(0) var<uniform> p: RowsPlan;
@group(0) @binding(1) var<storage, read> dloss: array<f32>;
@group(0) @binding(2) var<storage, read> logits: array<f32>;
@group(0) @binding(3) var<storage, read> labels: array<f32>;
@group(0) @binding(4) var<storage, read_write> dlogits: array<f32>;

// One workgroup array per reduction, so no reduction's reads race the next one's writes
// (Mesa's GL path showed exactly that race when one array was reused).
var<workgroup> stage0: array<f32, 256>;
var<workgroup> stage1: array<f32, 256>;
var<workgroup> stage2: array<f32, 256>;

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = i32(wid.x + wid.y * nwg.x);
  let valid = row < p.rows;
  let base = row * p.cols;
  var m = negInf();
  var ls = 0.0;
  if (valid) {
    for (var j = i32(lid); j < p.cols; j += 64) {
      let v = logits[base + j];
      if (isNan(v) || v > m) { m = v; }
      ls += labels[base + j];
    }
  }
  let mx = reduceMax(&stage0, lid, m, 64u);
  let labelSum = reduceSum(&stage1, lid, ls, 64u);
  var s = 0.0;
  if (valid) {
    for (var j = i32(lid); j < p.cols; j += 64) { s += exp(logits[base + j] - mx); }
  }
  let total = reduceSum(&stage2, lid, s, 64u);
  if (!valid) { return; }
  let g = dloss[row];
  let scale = labelSum / total;
  for (var j = i32(lid); j < p.cols; j += 64) {
    dlogits[base + j] = g * (exp(logits[base + j] - mx) * scale - labels[base + j]);
  }
}
