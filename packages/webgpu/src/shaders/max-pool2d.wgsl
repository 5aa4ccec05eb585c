// One thread per output cell: the maximum of the window; a NaN in the window makes it NaN (PyTorch).
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
  let base = plane * p.inHeight * p.inWidth;
  var best = negInf();
  var found = false;
  for (var ih = h0; ih < h1; ih++) {
    for (var iw = w0; iw < w1; iw++) {
      let v = x[base + ih * p.inWidth + iw];
      if (isNan(v)) { y[i] = v; return; }
      if (!found || v > best) { best = v; found = true; }
    }
  }
  y[i] = best;
}
