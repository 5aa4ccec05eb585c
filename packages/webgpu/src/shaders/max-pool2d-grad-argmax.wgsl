// One thread per input cell: sums dy over the windows whose argmax tap (MaxPool2DArgmax) names this cell,
// in row-major window order as the other backends add them.
// Prelude 'pool' (pool.wgsl): the plan p, coveringWindows.
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> argmax: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg);
  if (i >= inputCells()) { return; }
  let c = coveringWindows(i);
  var sum = 0.0;
  for (var oh = c.oh0; oh <= c.oh1; oh++) {
    for (var ow = c.ow0; ow <= c.ow1; ow++) {
      // This cell's tap in window (oh, ow); an exact float compare also refuses NaN and fractions.
      let t = (c.ih - oh * p.strideHeight + p.padTop) * p.windowWidth + c.iw - ow * p.strideWidth + p.padLeft;
      let o = c.obase + oh * p.outWidth + ow;
      if (argmax[o] == f32(t)) { sum += dy[o]; }
    }
  }
  dx[i] = sum;
}
