// dfilter as an implicit GEMM per group: A[o, (img, oy, ox)] = dy,
// B[(img, oy, ox), (c, ky, kx)] = x at the tap's input cell (zero in the padding).
// The summed dimension batch*outHeight*outWidth is long while the output is small, so it is split
// into `splits` chunks of `kChunk` (workgroup z = split * groups + group); each chunk writes its
// partial filter to slice `split` of the output, and a Reduce over splits adds them up.
struct Params {
  batch: i32,
  inChannels: i32,
  inHeight: i32,
  inWidth: i32,
  outChannels: i32,
  outHeight: i32,
  outWidth: i32,
  kernelHeight: i32,
  kernelWidth: i32,
  strideHeight: i32,
  strideWidth: i32,
  dilationHeight: i32,
  dilationWidth: i32,
  padTop: i32,
  padBottom: i32,
  padLeft: i32,
  padRight: i32,
  groups: i32,
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

fn loadA(g: i32, o: i32, kk: i32, mg: i32, ksum: i32) -> f32 {
  if (o >= mg || kk >= ksum) { return 0.0; }
  let ohw = p.outHeight * p.outWidth;
  let img = kk / ohw;
  let s = kk - img * ohw;
  return dy[(img * p.outChannels + g * mg + o) * ohw + s];
}

fn loadB(g: i32, kk: i32, n: i32, ksum: i32, ncols: i32) -> f32 {
  if (kk >= ksum || n >= ncols) { return 0.0; }
  let khw = p.kernelHeight * p.kernelWidth;
  let c = n / khw;
  let r = n - c * khw;
  let ky = r / p.kernelWidth;
  let kx = r - ky * p.kernelWidth;
  let ohw = p.outHeight * p.outWidth;
  let img = kk / ohw;
  let s = kk - img * ohw;
  let oy = s / p.outWidth;
  let ox = s - oy * p.outWidth;
  let iy = oy * p.strideHeight - p.padTop + ky * p.dilationHeight;
  let ix = ox * p.strideWidth - p.padLeft + kx * p.dilationWidth;
  if (iy < 0 || iy >= p.inHeight || ix < 0 || ix >= p.inWidth) { return 0.0; }
  let cin = g * (p.inChannels / p.groups) + c;
  return x[((img * p.inChannels + cin) * p.inHeight + iy) * p.inWidth + ix];
}

@compute @workgroup_size(16, 16)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let g = i32(wid.z) % p.groups;
  let split = i32(wid.z) / p.groups;
  let mg = p.outChannels / p.groups;
  let ncols = (p.inChannels / p.groups) * p.kernelHeight * p.kernelWidth;
  let ksum = min(p.batch * p.outHeight * p.outWidth, (split + 1) * p.kChunk);
  let t = lid.y * 16u + lid.x;
  let row0 = i32(wid.y * 64u);
  let col0 = i32(wid.x * 64u);
  let lk = i32(t / 16u);
  let lq = i32(t % 16u) * 4;
  var acc: array<vec4<f32>, 4>;
  for (var k0 = split * p.kChunk; k0 < ksum; k0 += i32(TILE_K)) {
    let kk = k0 + lk;
    tileA[t] = vec4<f32>(loadA(g, row0 + lq, kk, mg, ksum), loadA(g, row0 + lq + 1, kk, mg, ksum), loadA(g, row0 + lq + 2, kk, mg, ksum), loadA(g, row0 + lq + 3, kk, mg, ksum));
    tileB[t] = vec4<f32>(loadB(g, kk, col0 + lq, ksum, ncols), loadB(g, kk, col0 + lq + 1, ksum, ncols), loadB(g, kk, col0 + lq + 2, ksum, ncols), loadB(g, kk, col0 + lq + 3, ksum, ncols));
    workgroupBarrier();
    for (var q = 0u; q < TILE_K; q++) {
      let av = tileA[q * 16u + lid.y];
      let bv = tileB[q * 16u + lid.x];
      acc[0] = fma(vec4<f32>(av.x), bv, acc[0]);
      acc[1] = fma(vec4<f32>(av.y), bv, acc[1]);
      acc[2] = fma(vec4<f32>(av.z), bv, acc[2]);
      acc[3] = fma(vec4<f32>(av.w), bv, acc[3]);
    }
    workgroupBarrier();
  }
  let col = col0 + i32(lid.x) * 4;
  for (var i = 0; i < 4; i++) {
    let o = row0 + i32(lid.y) * 4 + i;
    if (o >= mg) { break; }
    for (var j = 0; j < 4; j++) {
      if (col + j >= ncols) { break; }
      dfilter[(split * p.outChannels + g * mg + o) * ncols + col + j] = acc[i][j];
    }
  }
}
