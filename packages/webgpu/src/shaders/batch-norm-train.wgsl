// Batch statistics per channel of [outer, channels, inner] (one 256-thread workgroup per channel):
// two-pass mean and biased variance, then y = act(gamma * (x - mean) / sqrt(var + eps) + beta + residual).
// The running statistics are updated by batch-norm-running.wgsl in the same pass (8 storage bindings at most).
override HAS_RESIDUAL: bool = false;
override RELU: bool = false;

struct Params {
  plan: ChannelPlan,
  epsilon: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> beta: array<f32>;
@group(0) @binding(4) var<storage, read> residual: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;
@group(0) @binding(6) var<storage, read_write> mean: array<f32>;
@group(0) @binding(7) var<storage, read_write> variance: array<f32>;

// One workgroup array per reduction, so no reduction's reads race the next one's writes
// (Mesa's GL path showed exactly that race when one array was reused).
var<workgroup> stage0: array<f32, 256>;
var<workgroup> stage1: array<f32, 256>;

fn at(c: i32, j: i32) -> i32 {
  let o = j / p.plan.inner;
  return (o * p.plan.channels + c) * p.plan.inner + (j - o * p.plan.inner);
}

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = i32(wid.x + wid.y * nwg.x);
  let valid = c < p.plan.channels;
  let count = p.plan.outer * p.plan.inner;
  var s = 0.0;
  if (valid) {
    for (var j = i32(lid); j < count; j += 256) { s += x[at(c, j)]; }
  }
  let mu = reduceSum(&stage0, lid, s, 256u) / f32(count);
  var q = 0.0;
  if (valid) {
    for (var j = i32(lid); j < count; j += 256) {
      let d = x[at(c, j)] - mu;
      q += d * d;
    }
  }
  let va = reduceSum(&stage1, lid, q, 256u) / f32(count);
  if (!valid) { return; }
  if (lid == 0u) {
    mean[c] = mu;
    variance[c] = va;
  }
  let scale = gamma[c] / sqrt(va + p.epsilon);
  let shift = beta[c] - mu * scale;
  for (var j = i32(lid); j < count; j += 256) {
    let k = at(c, j);
    var v = x[k] * scale + shift;
    if (HAS_RESIDUAL) { v += residual[k]; }
    // NaN passes through relu.
    if (RELU && v < 0.0) { v = 0.0; }
    y[k] = v;
  }
}
