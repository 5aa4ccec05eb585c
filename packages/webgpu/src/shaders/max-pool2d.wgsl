// One thread per output cell: the maximum of the window; a NaN in the window makes it NaN (PyTorch).
// Prelude 'pool' (pool.wgsl): the plan p, outputWindow.
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg);
  if (i >= outputCells()) { return; }
  let w = outputWindow(i);
  var best = negInf();
  var found = false;
  for (var ih = w.h0; ih < w.h1; ih++) {
    for (var iw = w.w0; iw < w.w1; iw++) {
      let v = x[w.base + ih * p.inWidth + iw];
      if (isNan(v)) { y[i] = v; return; }
      if (!found || v > best) { best = v; found = true; }
    }
  }
  y[i] = best;
}
