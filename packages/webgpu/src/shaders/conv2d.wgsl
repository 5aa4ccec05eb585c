// y = act(conv(x, weights) + bias + residual) as an implicit GEMM per group (workgroup z), residual of y's layout:
// A = weights [outChannels/groups, K], B = im2col(x) [K, batch*outHeight*outWidth] gathered on the fly,
// K = (inChannels/groups) * kernelHeight * kernelWidth. Same 64x64x16 tiling as mat-mul.wgsl.
override HAS_BIAS: bool = false;
override HAS_RESIDUAL: bool = false;
override RELU: bool = false;

@group(0) @binding(0) var<uniform> p: Conv2dPlan;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> weights: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read> residual: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;

const TILE_K: u32 = 16u;
var<workgroup> tileA: array<vec4<f32>, 256>;
var<workgroup> tileB: array<vec4<f32>, 256>;

// Far enough below zero that adding any tap offset stays outside the input.
const OUTSIDE: i32 = -1073741824;

// A: weights row m (output channel within the group), column kk (channel, ky, kx).
fn loadA(g: i32, m: i32, kk: i32, mg: i32, kg: i32) -> f32 {
  if (m >= mg || kk >= kg) { return 0.0; }
  return weights[(g * mg + m) * kg + kk];
}

@compute @workgroup_size(16, 16)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let g = i32(wid.z);
  let mg = p.outChannels / p.groups;
  let kg = (p.inChannels / p.groups) * p.kernelHeight * p.kernelWidth;
  let ncols = p.batch * p.outHeight * p.outWidth;
  let hw = p.inHeight * p.inWidth;
  let ohw = p.outHeight * p.outWidth;
  let khw = p.kernelHeight * p.kernelWidth;
  let t = lid.y * 16u + lid.x;
  let row0 = i32(wid.y * 64u);
  let col0 = i32(wid.x * 64u);
  let lk = i32(t / 16u);
  let lq = i32(t % 16u) * 4;
  // B = im2col(x) [kk, n], gathered on the fly. This thread always stages the same 4 columns
  // (output cells), so their image / row / column split is done once, outside the k loop; per k
  // only (c, ky, kx) is derived, shared by the 4 loads. Integer division is slow on GPUs.
  var xBase: array<i32, 4>;
  var iy0: array<i32, 4>;
  var ix0: array<i32, 4>;
  for (var j = 0; j < 4; j++) {
    let n = col0 + lq + j;
    let img = n / ohw;
    let s = n - img * ohw;
    let oy = s / p.outWidth;
    xBase[j] = (img * p.inChannels + g * (p.inChannels / p.groups)) * hw;
    iy0[j] = select(OUTSIDE, oy * p.strideHeight - p.padTop, n < ncols);
    ix0[j] = (s - oy * p.outWidth) * p.strideWidth - p.padLeft;
  }
  var acc: array<vec4<f32>, 4>;
  for (var k0 = 0; k0 < kg; k0 += i32(TILE_K)) {
    let kk = k0 + lk;
    tileA[t] = vec4<f32>(loadA(g, row0 + lq, kk, mg, kg), loadA(g, row0 + lq + 1, kk, mg, kg), loadA(g, row0 + lq + 2, kk, mg, kg), loadA(g, row0 + lq + 3, kk, mg, kg));
    let c = kk / khw;
    let r = kk - c * khw;
    let ky = r / p.kernelWidth;
    let dyOff = ky * p.dilationHeight;
    let dxOff = (r - ky * p.kernelWidth) * p.dilationWidth;
    var bv = vec4<f32>(0.0);
    for (var j = 0; j < 4; j++) {
      let iy = iy0[j] + dyOff;
      let ix = ix0[j] + dxOff;
      if (kk < kg && iy >= 0 && iy < p.inHeight && ix >= 0 && ix < p.inWidth) {
        bv[j] = x[xBase[j] + c * hw + iy * p.inWidth + ix];
      }
    }
    tileB[t] = bv;
    workgroupBarrier();
    for (var q = 0u; q < TILE_K; q++) {
      let av = tileA[q * 16u + lid.y];
      let bq = tileB[q * 16u + lid.x];
      acc[0] = fma(vec4<f32>(av.x), bq, acc[0]);
      acc[1] = fma(vec4<f32>(av.y), bq, acc[1]);
      acc[2] = fma(vec4<f32>(av.z), bq, acc[2]);
      acc[3] = fma(vec4<f32>(av.w), bq, acc[3]);
    }
    workgroupBarrier();
  }
  for (var j = 0; j < 4; j++) {
    let n = col0 + i32(lid.x) * 4 + j;
    if (n >= ncols) { break; }
    let img = n / ohw;
    let s = n - img * ohw;
    for (var i = 0; i < 4; i++) {
      let m = row0 + i32(lid.y) * 4 + i;
      if (m >= mg) { break; }
      let oc = g * mg + m;
      let at = (img * p.outChannels + oc) * ohw + s;
      var v = acc[i][j];
      if (HAS_BIAS) { v += bias[oc]; }
      if (HAS_RESIDUAL) { v += residual[at]; }
      if (RELU) { v = select(v, 0.0, v < 0.0); }
      y[at] = v;
    }
  }
}
