// One thread per output cell. Divisor (PyTorch): with countIncludePad the window clipped to the
// padded input, otherwise the cells inside the input.
// Prelude 'pool' (pool.wgsl): the plan p, outputWindow.
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg);
  if (i >= outputCells()) { return; }
  let w = outputWindow(i);
  var count = (w.h1 - w.h0) * (w.w1 - w.w0);
  if (p.countIncludePad != 0) {
    count = (min(w.hs + p.windowHeight, p.inHeight + p.padBottom) - w.hs) * (min(w.ws + p.windowWidth, p.inWidth + p.padRight) - w.ws);
  }
  var sum = 0.0;
  for (var ih = w.h0; ih < w.h1; ih++) {
    for (var iw = w.w0; iw < w.w1; iw++) {
      sum += x[w.base + ih * p.inWidth + iw];
    }
  }
  y[i] = sum * (1.0 / f32(count));
}
