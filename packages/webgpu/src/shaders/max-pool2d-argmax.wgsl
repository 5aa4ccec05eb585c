// One thread per output cell: the window's maximum and the tap it selects, kh * windowWidth + kw in the
// unclipped window: its last NaN if it holds one, else its first maximum (PyTorch); -1 without a cell.
@group(0) @binding(0) var<uniform> p: Pool2dPlan;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> argmax: array<f32>;

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
  let base = plane * p.inHeight * p.inWidth;
  var best = negInf();
  var tap = -1;
  var sawNan = false;
  for (var ih = max(hs, 0); ih < min(hs + p.windowHeight, p.inHeight); ih++) {
    for (var iw = max(ws, 0); iw < min(ws + p.windowWidth, p.inWidth); iw++) {
      let v = x[base + ih * p.inWidth + iw];
      let t = (ih - hs) * p.windowWidth + iw - ws;
      if (isNan(v)) {
        best = v;
        tap = t;
        sawNan = true;
      } else if (!sawNan && (tap < 0 || v > best)) {
        best = v;
        tap = t;
      }
    }
  }
  y[i] = best;
  argmax[i] = f32(tap);
}
