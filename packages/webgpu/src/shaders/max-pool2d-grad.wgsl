// One thread per input cell: sums dy over every window that selects this cell (recomputed from x):
// the window's last NaN if it holds one, else its first maximum (PyTorch).
// Prelude 'pool' (pool.wgsl): the plan p, windowAt, coveringWindows.
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

// Offset in its plane of the cell window (oh, ow) of `plane` selects; -1 without a cell.
fn selected(plane: i32, oh: i32, ow: i32) -> i32 {
  let w = windowAt(plane, oh, ow);
  var best = 0.0;
  var at = -1;
  var sawNan = false;
  for (var ih = w.h0; ih < w.h1; ih++) {
    for (var iw = w.w0; iw < w.w1; iw++) {
      let j = ih * p.inWidth + iw;
      let v = x[w.base + j];
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
  let i = flatIndex(gid, nwg);
  if (i >= inputCells()) { return; }
  let c = coveringWindows(i);
  var sum = 0.0;
  for (var oh = c.oh0; oh <= c.oh1; oh++) {
    for (var ow = c.ow0; ow <= c.ow1; ow++) {
      if (selected(c.plane, oh, ow) == c.j) { sum += dy[c.obase + oh * p.outWidth + ow]; }
    }
  }
  dx[i] = sum;
}
