// Gradient of batch-norm training mode per channel (one 256-thread workgroup per channel), with
// xhat = (x - mean) * invStd: dbeta = sum(dy), dgamma = sum(dy * xhat),
// dx = gamma * invStd / n * (n * dy - dbeta - xhat * dgamma). Both sums are compensated (common.wgsl): dy
// may be large and cancel to a small dbeta, which plain float32 sums would miss by ~1e-5 of its size.
struct Params {
  plan: ChannelPlan,
  epsilon: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> gamma: array<f32>;
@group(0) @binding(4) var<storage, read> mean: array<f32>;
@group(0) @binding(5) var<storage, read> variance: array<f32>;
@group(0) @binding(6) var<storage, read_write> dx: array<f32>;
@group(0) @binding(7) var<storage, read_write> dgamma: array<f32>;
@group(0) @binding(8) var<storage, read_write> dbeta: array<f32>;

// One workgroup array per reduction, so no reduction's reads race the next one's writes
// (Mesa's GL path showed exactly that race when one array was reused).
var<workgroup> stage0: array<vec2<f32>, 256>;
var<workgroup> stage1: array<vec2<f32>, 256>;

fn at(c: i32, j: i32) -> i32 {
  let o = j / p.plan.inner;
  return (o * p.plan.channels + c) * p.plan.inner + (j - o * p.plan.inner);
}

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = i32(wid.x + wid.y * nwg.x);
  let valid = c < p.plan.channels;
  let count = p.plan.outer * p.plan.inner;
  var mu = 0.0;
  var invStd = 0.0;
  if (valid) {
    mu = mean[c];
    invStd = 1.0 / sqrt(variance[c] + p.epsilon);
  }
  // 1.0 the compiler cannot fold (channels >= 1): see twoSum.
  let one = select(1.0, 2.0, p.plan.channels < 0);
  var sdy = vec2<f32>(0.0, 0.0);
  var sdx = vec2<f32>(0.0, 0.0);
  if (valid) {
    for (var j = i32(lid); j < count; j += 256) {
      let k = at(c, j);
      let g = dy[k];
      sdy = addCompensated(sdy, g, one);
      sdx = addCompensated(sdx, g * (x[k] - mu) * invStd, one);
    }
  }
  let db = reduceSumCompensated(&stage0, lid, sdy, one);
  let dg = reduceSumCompensated(&stage1, lid, sdx, one);
  if (!valid) { return; }
  if (lid == 0u) {
    dbeta[c] = db;
    dgamma[c] = dg;
  }
  let n = f32(count);
  let scale = gamma[c] * invStd / n;
  for (var j = i32(lid); j < count; j += 256) {
    let k = at(c, j);
    let xhat = (x[k] - mu) * invStd;
    dx[k] = scale * (n * dy[k] - db - xhat * dg);
  }
}
