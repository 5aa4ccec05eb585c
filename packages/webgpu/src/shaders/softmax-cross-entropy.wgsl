// loss[row] = -sum(labels * logSoftmax(logits)) = sum(labels) * lse - sum(labels * logits),
// lse = max + log(sum(exp(logits - max))). One 64-thread workgroup per row.
@group(0) @binding(0) var<uniform> p: RowsPlan;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<f32>;
@group(0) @binding(3) var<storage, read_write> loss: array<f32>;

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
  if (valid) {
    for (var j = i32(lid); j < p.cols; j += 64) {
      let v = logits[base + j];
      if (isNan(v) || v > m) { m = v; }
    }
  }
  let mx = reduceMax(&stage0, lid, m, 64u);
  var s = 0.0;
  if (valid) {
    for (var j = i32(lid); j < p.cols; j += 64) { s += exp(logits[base + j] - mx); }
  }
  let lse = mx + log(reduceSum(&stage1, lid, s, 64u));
  var acc = 0.0;
  if (valid) {
    for (var j = i32(lid); j < p.cols; j += 64) {
      let l = labels[base + j];
      // Skip zero labels so a -inf logit with label 0 does not turn the loss into NaN.
      if (l != 0.0) { acc += l * (lse - logits[base + j]); }
    }
  }
  let total = reduceSum(&stage2, lid, acc, 64u);
  if (lid == 0u && valid) { loss[row] = total; }
}
