// One thread per input cell: sums dy over the windows whose argmax tap (MaxPool2DArgmax) names this cell,
// in row-major window order as the other backends add them. No atomics needed.
@group(0) @binding(0) var<uniform> p: Pool2dPlan;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> argmax: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

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
  let obase = plane * p.outHeight * p.outWidth;
  var sum = 0.0;
  for (var oh = oh0; oh <= oh1; oh++) {
    for (var ow = ow0; ow <= ow1; ow++) {
      // This cell's tap in window (oh, ow); an exact float compare also refuses NaN and fractions.
      let t = (ih - oh * p.strideHeight + p.padTop) * p.windowWidth + iw - ow * p.strideWidth + p.padLeft;
      if (argmax[obase + oh * p.outWidth + ow] == f32(t)) { sum += dy[obase + oh * p.outWidth + ow]; }
    }
  }
  dx[i] = sum;
}
