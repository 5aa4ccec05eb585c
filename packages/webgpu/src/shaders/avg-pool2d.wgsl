// One thread per output cell. Divisor (PyTorch): with countIncludePad the window clipped to the
// padded input, otherwise the cells inside the input.
@group(0) @binding(0) var<uniform> p: Pool2dPlan;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = i32(gid.x + gid.y * nwg.x * 256u);
  let total = p.batch * p.channels * p.outHeight * p.outWidth;
  if (i >= total) { return; }
  let ow = i % p.outWidth;
  let oh = (i / p.outWidth) % p.outHeight;
  let plane = i / (p.outWidth * p.outHeight);
  let hs = oh * p.strideHeight - p.padTop;
  let ws = ow * p.strideWidth - p.padLeft;
  let h0 = max(hs, 0);
  let h1 = min(hs + p.windowHeight, p.inHeight);
  let w0 = max(ws, 0);
  let w1 = min(ws + p.windowWidth, p.inWidth);
  var count = (h1 - h0) * (w1 - w0);
  if (p.countIncludePad != 0) {
    count = (min(hs + p.windowHeight, p.inHeight + p.padBottom) - hs) * (min(ws + p.windowWidth, p.inWidth + p.padRight) - ws);
  }
  let base = plane * p.inHeight * p.inWidth;
  var sum = 0.0;
  for (var ih = h0; ih < h1; ih++) {
    for (var iw = w0; iw < w1; iw++) {
      sum += x[base + ih * p.inWidth + iw];
    }
  }
  y[i] = sum * (1.0 / f32(count));
}
