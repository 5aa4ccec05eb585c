// One thread per output cell: the window's maximum and the tap it selects, kh * windowWidth + kw in the
// unclipped window: its last NaN if it holds one, else its first maximum (PyTorch); -1 without a cell.
// Prelude 'pool' (pool.wgsl): the plan p, outputWindow.
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> argmax: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg);
  if (i >= outputCells()) { return; }
  let w = outputWindow(i);
  var best = negInf();
  var tap = -1;
  var sawNan = false;
  for (var ih = w.h0; ih < w.h1; ih++) {
    for (var iw = w.w0; iw < w.w1; iw++) {
      let v = x[w.base + ih * p.inWidth + iw];
      let t = (ih - w.hs) * p.windowWidth + iw - w.ws;
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
