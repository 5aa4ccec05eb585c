// dlogits = dloss[row] * (sum(labels of the row) * softmax(logits) - labels). One workgroup per row.
struct Params {
  rows: i32,
  cols: i32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dloss: array<f32>;
@group(0) @binding(2) var<storage, read> logits: array<f32>;
@group(0) @binding(3) var<storage, read> labels: array<f32>;
@group(0) @binding(4) var<storage, read_write> dlogits: array<f32>;

// Bit test, because comparisons with NaN may be folded away by shader compilers.
// -inf from a private variable: a constant-expression bitcast to an infinity is rejected by WGSL.
var<private> NEG_INF_BITS: u32 = 0xff800000u;

fn negInf() -> f32 {
  return bitcast<f32>(NEG_INF_BITS);
}

fn isNan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// One workgroup array per reduction, so no reduction's reads race the next one's writes
// (Mesa's GL path showed exactly that race when one array was reused).
var<workgroup> stage0: array<f32, 64>;
var<workgroup> stage1: array<f32, 64>;
var<workgroup> stage2: array<f32, 64>;

// Tree reduction across the 64 threads; every thread gets the result.
fn reduceSum(partial: ptr<workgroup, array<f32, 64>>, lid: u32, v: f32) -> f32 {
  (*partial)[lid] = v;
  workgroupBarrier();
  for (var step = 32u; step > 0u; step >>= 1u) {
    if (lid < step) { (*partial)[lid] += (*partial)[lid + step]; }
    workgroupBarrier();
  }
  return (*partial)[0];
}

// Max that propagates NaN.
fn reduceMax(partial: ptr<workgroup, array<f32, 64>>, lid: u32, v: f32) -> f32 {
  (*partial)[lid] = v;
  workgroupBarrier();
  for (var step = 32u; step > 0u; step >>= 1u) {
    if (lid < step) {
      let a = (*partial)[lid];
      let b = (*partial)[lid + step];
      if (isNan(b) || b > a) { (*partial)[lid] = b; }
    }
    workgroupBarrier();
  }
  return (*partial)[0];
}

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
  let mx = reduceMax(&stage0, lid, m);
  let labelSum = reduceSum(&stage1, lid, ls);
  var s = 0.0;
  if (valid) {
    for (var j = i32(lid); j < p.cols; j += 64) { s += exp(logits[base + j] - mx); }
  }
  let total = reduceSum(&stage2, lid, s);
  if (!valid) { return; }
  let g = dloss[row];
  let scale = labelSum / total;
  for (var j = i32(lid); j < p.cols; j += 64) {
    dlogits[base + j] = g * (exp(logits[base + j] - mx) * scale - labels[base + j]);
  }
}
