// dx = conv2d's input gradient as an implicit GEMM per group (workgroup z):
// A[c, (o, ky, kx)] = weights[g*mg + o, c, ky, kx], B[(o, ky, kx), (img, iy, ix)] = dy at the output cell
// whose window puts tap (ky, kx) on (iy, ix), or zero when that cell falls between strides or outside.
@group(0) @binding(0) var<uniform> p: Conv2dPlan;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> weights: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

const TILE_K: u32 = 16u;
var<workgroup> tileA: array<vec4<f32>, 256>;
var<workgroup> tileB: array<vec4<f32>, 256>;

const OUTSIDE: i32 = -1073741824;

@compute @workgroup_size(16, 16)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let g = i32(wid.z);
  let cg = p.inChannels / p.groups;
  let mg = p.outChannels / p.groups;
  let khw = p.kernelHeight * p.kernelWidth;
  let kg = mg * khw;
  let hw = p.inHeight * p.inWidth;
  let ohw = p.outHeight * p.outWidth;
  let ncols = p.batch * hw;
  let t = lid.y * 16u + lid.x;
  let row0 = i32(wid.y * 64u);
  let col0 = i32(wid.x * 64u);
  let lk = i32(t / 16u);
  let lq = i32(t % 16u) * 4;
  // This thread's 4 B columns (img, iy, ix) are fixed: split them once. Per k, (o, ky, kx) is
  // split once and shared by the 4 A loads and the 4 B loads.
  var dyBase: array<i32, 4>;
  var ty0: array<i32, 4>;
  var tx0: array<i32, 4>;
  for (var j = 0; j < 4; j++) {
    let n = col0 + lq + j;
    let img = n / hw;
    let s = n - img * hw;
    let iy = s / p.inWidth;
    dyBase[j] = (img * p.outChannels + g * mg) * ohw;
    ty0[j] = select(OUTSIDE, iy + p.padTop, n < ncols);
    tx0[j] = s - iy * p.inWidth + p.padLeft;
  }
  var acc: array<vec4<f32>, 4>;
  for (var k0 = 0; k0 < kg; k0 += i32(TILE_K)) {
    let kk = k0 + lk;
    let o = kk / khw;
    let r = kk - o * khw;
    let ky = r / p.kernelWidth;
    let kx = r - ky * p.kernelWidth;
    // A[c, kk] = weights[g*mg + o, c, ky, kx] for the 4 rows c of this thread.
    var av = vec4<f32>(0.0);
    let wBase = (g * mg + o) * cg * khw + r;
    for (var i = 0; i < 4; i++) {
      let c = row0 + lq + i;
      if (kk < kg && c < cg) { av[i] = weights[wBase + c * khw]; }
    }
    tileA[t] = av;
    // B[kk, n] = dy at the output cell whose tap (ky, kx) lands on (iy, ix), if it exists.
    var bv = vec4<f32>(0.0);
    for (var j = 0; j < 4; j++) {
      let ty = ty0[j] - ky * p.dilationHeight;
      let tx = tx0[j] - kx * p.dilationWidth;
      if (kk < kg && ty >= 0 && tx >= 0) {
        let oy = ty / p.strideHeight;
        let ox = tx / p.strideWidth;
        if (oy * p.strideHeight == ty && ox * p.strideWidth == tx && oy < p.outHeight && ox < p.outWidth) {
          bv[j] = dy[dyBase[j] + o * ohw + oy * p.outWidth + ox];
        }
      }
    }
    tileB[t] = bv;
    workgroupBarrier();
    for (var q = 0u; q < TILE_K; q++) {
      let a = tileA[q * 16u + lid.y];
      let b = tileB[q * 16u + lid.x];
      acc[0] = fma(vec4<f32>(a.x), b, acc[0]);
      acc[1] = fma(vec4<f32>(a.y), b, acc[1]);
      acc[2] = fma(vec4<f32>(a.z), b, acc[2]);
      acc[3] = fma(vec4<f32>(a.w), b, acc[3]);
    }
    workgroupBarrier();
  }
  for (var j = 0; j < 4; j++) {
    let n = col0 + i32(lid.x) * 4 + j;
    if (n >= ncols) { break; }
    let img = n / hw;
    let s = n - img * hw;
    for (var i = 0; i < 4; i++) {
      let c = row0 + i32(lid.y) * 4 + i;
      if (c >= cg) { break; }
      dx[(img * p.inChannels + g * cg + c) * hw + s] = acc[i][j];
    }
  }
}
