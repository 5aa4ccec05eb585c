// Opt-in prelude 'adam' (DispatchSpec.prelude) of adam-update.wgsl and adam-update-many.wgsl: one
// Adam / AdamW step of one value, written once so both kernels round identically. 1 - beta and the
// bias corrections 1 - beta^step come from the host in float64: 1.0 - 0.999 rounded in f32 is
// already 1.3e-5 off.

// The uniform words after the sizes, in this order, in both shaders' Params.
struct AdamSettings {
  decoupled: i32,
  lr: f32,
  beta1: f32,
  beta2: f32,
  epsilon: f32,
  weightDecay: f32,
  correction1: f32,
  correction2: f32,
  oneMinusBeta1: f32,
  oneMinusBeta2: f32,
  lrDecay: f32,
}

// Returns (new w, new m, new v).
fn adamStep(s: AdamSettings, w0: f32, g0: f32, m: f32, v: f32) -> vec3<f32> {
  var w = w0;
  var g = g0;
  if (s.decoupled != 0) {
    w = w - s.lrDecay * w;
  } else {
    g = g + s.weightDecay * w;
  }
  let m1 = s.beta1 * m + s.oneMinusBeta1 * g;
  let v1 = s.beta2 * v + s.oneMinusBeta2 * g * g;
  let mhat = m1 / s.correction1;
  let vhat = v1 / s.correction2;
  return vec3<f32>(w - s.lr * mhat / (sqrt(vhat) + s.epsilon), m1, v1);
}
