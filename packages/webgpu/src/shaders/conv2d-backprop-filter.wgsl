// dfilter as an implicit GEMM per group: A[o, (img, oy, ox)] = dy,
// B[(img, oy, ox), (c, ky, kx)] = x at the tap's input cell (zero in the padding).
// The summed dimension batch*outHeight*outWidth is long while the output is small, so it is split
// into `splits` chunks of `kChunk` (workgroup z = split * groups + group); each chunk writes its
// partial filter to slice `split` of the output, and a Reduce over splits adds them up.
struct Params {
  plan: Conv2dPlan,
  kChunk: i32,
  splits: i32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dfilter: array<f32>;

const TILE_K: u32 = 16u;
var<workgroup> tileA: array<vec4<f32>, 256>;
var<workgroup> tileB: array<vec4<f32>, 256>;

const OUTSIDE: i32 = -1073741824;

@compute @workgroup_size(16, 16)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let g = i32(wid.z) % p.plan.groups;
  let split = i32(wid.z) / p.plan.groups;
  let mg = p.plan.outChannels / p.plan.groups;
  let cg = p.plan.inChannels / p.plan.groups;
  let khw = p.plan.kernelHeight * p.plan.kernelWidth;
  let ncols = cg * khw;
  let hw = p.plan.inHeight * p.plan.inWidth;
  let ohw = p.plan.outHeight * p.plan.outWidth;
  let kEnd = min(p.plan.batch * ohw, (split + 1) * p.kChunk);
  let t = lid.y * 16u + lid.x;
  let row0 = i32(wid.y * 64u);
  let col0 = i32(wid.x * 64u);
  let lk = i32(t / 16u);
  let lq = i32(t % 16u) * 4;
  // This thread's 4 B columns (c, ky, kx) are fixed: split them once. Per k, the summed index
  // (img, oy, ox) is split once and shared by the 4 A loads and the 4 B loads.
  var xOff: array<i32, 4>;
  var dy0: array<i32, 4>;
  var dx0: array<i32, 4>;
  for (var j = 0; j < 4; j++) {
    let n = col0 + lq + j;
    let c = n / khw;
    let r = n - c * khw;
    let ky = r / p.plan.kernelWidth;
    xOff[j] = (g * cg + c) * hw;
    dy0[j] = select(OUTSIDE, ky * p.plan.dilationHeight - p.plan.padTop, n < ncols);
    dx0[j] = (r - ky * p.plan.kernelWidth) * p.plan.dilationWidth - p.plan.padLeft;
  }
  var acc: array<vec4<f32>, 4>;
  for (var k0 = split * p.kChunk; k0 < kEnd; k0 += i32(TILE_K)) {
    let kk = k0 + lk;
    let img = kk / ohw;
    let s = kk - img * ohw;
    let oy = s / p.plan.outWidth;
    let ox = s - oy * p.plan.outWidth;
    var av = vec4<f32>(0.0);
    let dyBase = (img * p.plan.outChannels + g * mg) * ohw + s;
    for (var i = 0; i < 4; i++) {
      let o = row0 + lq + i;
      if (kk < kEnd && o < mg) { av[i] = dy[dyBase + o * ohw]; }
    }
    tileA[t] = av;
    var bv = vec4<f32>(0.0);
    let xImg = img * p.plan.inChannels * hw;
    for (var j = 0; j < 4; j++) {
      let iy = oy * p.plan.strideHeight + dy0[j];
      let ix = ox * p.plan.strideWidth + dx0[j];
      if (kk < kEnd && iy >= 0 && iy < p.plan.inHeight && ix >= 0 && ix < p.plan.inWidth) {
        bv[j] = x[xImg + xOff[j] + iy * p.plan.inWidth + ix];
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
  let col = col0 + i32(lid.x) * 4;
  for (var i = 0; i < 4; i++) {
    let o = row0 + i32(lid.y) * 4 + i;
    if (o >= mg) { break; }
    for (var j = 0; j < 4; j++) {
      if (col + j >= ncols) { break; }
      dfilter[(split * p.plan.outChannels + g * mg + o) * ncols + col + j] = acc[i][j];
    }
  }
}
