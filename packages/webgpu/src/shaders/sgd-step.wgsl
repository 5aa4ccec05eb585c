// Opt-in prelude 'sgd' (DispatchSpec.prelude) of sgd-update.wgsl and sgd-update-many.wgsl: one
// PyTorch SGD step of one value, written once so both kernels round identically.
// d = g + weightDecay * w; v = momentum * v + d; w -= lr * (nesterov ? d + momentum * v : v).
// Returns (new w, new v).
fn sgdStep(w: f32, g: f32, v: f32, lr: f32, momentum: f32, weightDecay: f32, nesterov: bool) -> vec2<f32> {
  let d = g + weightDecay * w;
  let v1 = momentum * v + d;
  var step = v1;
  if (nesterov) { step = d + momentum * v1; }
  return vec2<f32>(w - lr * step, v1);
}
