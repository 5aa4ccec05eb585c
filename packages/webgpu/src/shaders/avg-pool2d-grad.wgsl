// One thread per input cell: sums dy / divisor over the windows that cover it.
@group(0) @binding(0) var<uniform> p: Pool2dPlan;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

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
  let oh0 = max(0, (ih + p.padTop - p.windowHeight + p.strideHeight) / p.strideHeight);
  let oh1 = min(p.outHeight - 1, (ih + p.padTop) / p.strideHeight);
  let ow0 = max(0, (iw + p.padLeft - p.windowWidth + p.strideWidth) / p.strideWidth);
  let ow1 = min(p.outWidth - 1, (iw + p.padLeft) / p.strideWidth);
  let obase = plane * p.outHeight * p.outWidth;
  var sum = 0.0;
  for (var oh = oh0; oh <= oh1; oh++) {
    let hs = oh * p.strideHeight - p.padTop;
    var rows = min(hs + p.windowHeight, p.inHeight) - max(hs, 0);
    if (p.countIncludePad != 0) { rows = min(hs + p.windowHeight, p.inHeight + p.padBottom) - hs; }
    for (var ow = ow0; ow <= ow1; ow++) {
      let ws = ow * p.strideWidth - p.padLeft;
      var cols = min(ws + p.windowWidth, p.inWidth) - max(ws, 0);
      if (p.countIncludePad != 0) { cols = min(ws + p.windowWidth, p.inWidth + p.padRight) - ws; }
      sum += dy[obase + oh * p.outWidth + ow] * (1.0 / f32(rows * cols));
    }
  }
  dx[i] = sum;
}
