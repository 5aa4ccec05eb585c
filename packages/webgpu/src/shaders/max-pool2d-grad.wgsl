// One thread per input cell: sums dy over every window that selects this cell (recomputed from x):
// the window's last NaN if it holds one, else its first maximum (PyTorch). No atomics needed.
@group(0) @binding(0) var<uniform> p: Pool2dPlan;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

fn argmax(base: i32, oh: i32, ow: i32) -> i32 {
  let hs = oh * p.strideHeight - p.padTop;
  let ws = ow * p.strideWidth - p.padLeft;
  let h0 = max(hs, 0);
  let h1 = min(hs + p.windowHeight, p.inHeight);
  let w0 = max(ws, 0);
  let w1 = min(ws + p.windowWidth, p.inWidth);
  var best = 0.0;
  var at = -1;
  var sawNan = false;
  for (var ih = h0; ih < h1; ih++) {
    for (var iw = w0; iw < w1; iw++) {
      let j = ih * p.inWidth + iw;
      let v = x[base + j];
      if (isNan(v)) {
        at = j;
        sawNan = true;
      } else if (!sawNan && (at < 0 || v > best)) {
        best = v;
        at = j;
      }
    }
  }
  return at;
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = i32(gid.x + gid.y * nwg.x * 256u);
  let hw = p.inHeight * p.inWidth;
  let total = p.batch * p.channels * hw;
  if (i >= total) { return; }
  let plane = i / hw;
  let j = i - plane * hw;
  let ih = j / p.inWidth;
  let iw = j - ih * p.inWidth;
  // Windows covering row ih: oh * stride - padTop <= ih < oh * stride - padTop + window.
  let oh0 = max(0, (ih + p.padTop - p.windowHeight + p.strideHeight) / p.strideHeight);
  let oh1 = min(p.outHeight - 1, (ih + p.padTop) / p.strideHeight);
  let ow0 = max(0, (iw + p.padLeft - p.windowWidth + p.strideWidth) / p.strideWidth);
  let ow1 = min(p.outWidth - 1, (iw + p.padLeft) / p.strideWidth);
  let base = plane * hw;
  let obase = plane * p.outHeight * p.outWidth;
  var sum = 0.0;
  for (var oh = oh0; oh <= oh1; oh++) {
    for (var ow = ow0; ow <= ow1; ow++) {
      if (argmax(base, oh, ow) == j) { sum += dy[obase + oh * p.outWidth + ow]; }
    }
  }
  dx[i] = sum;
}
