// One thread per input cell: sums dy / divisor over the windows that cover it.
// Prelude 'pool' (pool.wgsl): the plan p, coveringWindows.
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg);
  if (i >= inputCells()) { return; }
  let c = coveringWindows(i);
  var sum = 0.0;
  for (var oh = c.oh0; oh <= c.oh1; oh++) {
    let hs = oh * p.strideHeight - p.padTop;
    var rows = min(hs + p.windowHeight, p.inHeight) - max(hs, 0);
    if (p.countIncludePad != 0) { rows = min(hs + p.windowHeight, p.inHeight + p.padBottom) - hs; }
    for (var ow = c.ow0; ow <= c.ow1; ow++) {
      let ws = ow * p.strideWidth - p.padLeft;
      var cols = min(ws + p.windowWidth, p.inWidth) - max(ws, 0);
      if (p.countIncludePad != 0) { cols = min(ws + p.windowWidth, p.inWidth + p.padRight) - ws; }
      sum += dy[c.obase + oh * p.outWidth + ow] * (1.0 / f32(rows * cols));
    }
  }
  dx[i] = sum;
}
