// dx = conv2d's input gradient as an implicit GEMM per group (workgroup z):
// A[c, (o, ky, kx)] = weights[g*mg + o, c, ky, kx], B[(o, ky, kx), (img, iy, ix)] = dy at the output cell
// whose window puts tap (ky, kx) on (iy, ix), or zero when that cell falls between strides or outside.
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
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> weights: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

const TILE_K: u32 = 16u;
var<workgroup> tileA: array<vec4<f32>, 256>;
var<workgroup> tileB: array<vec4<f32>, 256>;

fn loadA(g: i32, c: i32, kk: i32, cg: i32, mg: i32, kg: i32) -> f32 {
  if (c >= cg || kk >= kg) { return 0.0; }
  let khw = p.kernelHeight * p.kernelWidth;
  let o = kk / khw;
  let r = kk - o * khw;
  return weights[((g * mg + o) * cg + c) * khw + r];
}

fn loadB(g: i32, kk: i32, n: i32, mg: i32, kg: i32, ncols: i32) -> f32 {
  if (kk >= kg || n >= ncols) { return 0.0; }
  let khw = p.kernelHeight * p.kernelWidth;
  let o = kk / khw;
  let r = kk - o * khw;
  let ky = r / p.kernelWidth;
  let kx = r - ky * p.kernelWidth;
  let hw = p.inHeight * p.inWidth;
  let img = n / hw;
  let s = n - img * hw;
  let iy = s / p.inWidth;
  let ix = s - iy * p.inWidth;
  let ty = iy + p.padTop - ky * p.dilationHeight;
  let tx = ix + p.padLeft - kx * p.dilationWidth;
  if (ty < 0 || tx < 0) { return 0.0; }
  let oy = ty / p.strideHeight;
  let ox = tx / p.strideWidth;
  if (oy * p.strideHeight != ty || ox * p.strideWidth != tx || oy >= p.outHeight || ox >= p.outWidth) { return 0.0; }
  return dy[((img * p.outChannels + g * mg + o) * p.outHeight + oy) * p.outWidth + ox];
}

@compute @workgroup_size(16, 16)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let g = i32(wid.z);
  let cg = p.inChannels / p.groups;
  let mg = p.outChannels / p.groups;
  let kg = mg * p.kernelHeight * p.kernelWidth;
  let ncols = p.batch * p.inHeight * p.inWidth;
  let t = lid.y * 16u + lid.x;
  let row0 = i32(wid.y * 64u);
  let col0 = i32(wid.x * 64u);
  let lk = i32(t / 16u);
  let lq = i32(t % 16u) * 4;
  var acc: array<vec4<f32>, 4>;
  for (var k0 = 0; k0 < kg; k0 += i32(TILE_K)) {
    let kk = k0 + lk;
    tileA[t] = vec4<f32>(loadA(g, row0 + lq, kk, cg, mg, kg), loadA(g, row0 + lq + 1, kk, cg, mg, kg), loadA(g, row0 + lq + 2, kk, cg, mg, kg), loadA(g, row0 + lq + 3, kk, cg, mg, kg));
    tileB[t] = vec4<f32>(loadB(g, kk, col0 + lq, mg, kg, ncols), loadB(g, kk, col0 + lq + 1, mg, kg, ncols), loadB(g, kk, col0 + lq + 2, mg, kg, ncols), loadB(g, kk, col0 + lq + 3, mg, kg, ncols));
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
  let hw = p.inHeight * p.inWidth;
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
