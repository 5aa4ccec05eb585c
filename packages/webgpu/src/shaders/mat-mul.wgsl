// C[m, n] = act(op(A)[m, k] * op(B)[k, n] + bias[n]).
// Tiled GEMM: a 16x16 workgroup computes a 64x64 tile of C, each thread a 4x4 block, with 16-deep
// slices of A and B staged in workgroup memory as vec4 columns so the inner loop does two vec4
// loads and four vec4 FMAs per k.
override HAS_BIAS: bool = false;
override RELU: bool = false;

@group(0) @binding(0) var<uniform> p: MatmulPlan;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;

const TILE_K: u32 = 16u;
// [k][m / 4] and [k][n / 4]
var<workgroup> tileA: array<vec4<f32>, 256>;
var<workgroup> tileB: array<vec4<f32>, 256>;

fn loadA(row: i32, kk: i32) -> f32 {
  if (row >= p.m || kk >= p.k) { return 0.0; }
  if (p.transposeA != 0) { return a[kk * p.m + row]; }
  return a[row * p.k + kk];
}

fn loadB(kk: i32, col: i32) -> f32 {
  if (kk >= p.k || col >= p.n) { return 0.0; }
  if (p.transposeB != 0) { return b[col * p.k + kk]; }
  return b[kk * p.n + col];
}

@compute @workgroup_size(16, 16)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let t = lid.y * 16u + lid.x;
  let row0 = i32(wid.y * 64u);
  let col0 = i32(wid.x * 64u);
  // Loader roles: thread t stages 4 consecutive rows (cols) at one k.
  let lk = i32(t / 16u);
  let lq = i32(t % 16u) * 4;
  var acc: array<vec4<f32>, 4>;
  for (var k0 = 0; k0 < p.k; k0 += i32(TILE_K)) {
    tileA[t] = vec4<f32>(loadA(row0 + lq, k0 + lk), loadA(row0 + lq + 1, k0 + lk), loadA(row0 + lq + 2, k0 + lk), loadA(row0 + lq + 3, k0 + lk));
    tileB[t] = vec4<f32>(loadB(k0 + lk, col0 + lq), loadB(k0 + lk, col0 + lq + 1), loadB(k0 + lk, col0 + lq + 2), loadB(k0 + lk, col0 + lq + 3));
    workgroupBarrier();
    for (var kk = 0u; kk < TILE_K; kk++) {
      let av = tileA[kk * 16u + lid.y];
      let bv = tileB[kk * 16u + lid.x];
      acc[0] = fma(vec4<f32>(av.x), bv, acc[0]);
      acc[1] = fma(vec4<f32>(av.y), bv, acc[1]);
      acc[2] = fma(vec4<f32>(av.z), bv, acc[2]);
      acc[3] = fma(vec4<f32>(av.w), bv, acc[3]);
    }
    workgroupBarrier();
  }
  let col = col0 + i32(lid.x) * 4;
  for (var i = 0; i < 4; i++) {
    let row = row0 + i32(lid.y) * 4 + i;
    if (row >= p.m) { break; }
    for (var j = 0; j < 4; j++) {
      if (col + j >= p.n) { break; }
      var v = acc[i][j];
      if (HAS_BIAS) { v += bias[col + j]; }
      if (RELU) { v = select(v, 0.0, v < 0.0); }
      c[row * p.n + col + j] = v;
    }
  }
}

// Vectorised variant for row-major A and B with k and n multiples of 4: the same 64x64 tiling,
// with every global load a vec4 (A along k, B along n). The A tile is kept row-major with k in the
// vec4 (tileAk[m][k / 4]) so each thread stores a whole vector: component stores into shared
// vectors from different threads may be lowered to racing read-modify-writes.
@group(0) @binding(1) var<storage, read> a4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b4: array<vec4<f32>>;

var<workgroup> tileAk: array<vec4<f32>, 256>;

fn fma4(acc: vec4<f32>, a: vec4<f32>, b0: vec4<f32>, b1: vec4<f32>, b2: vec4<f32>, b3: vec4<f32>) -> vec4<f32> {
  return fma(vec4<f32>(a.w), b3, fma(vec4<f32>(a.z), b2, fma(vec4<f32>(a.y), b1, fma(vec4<f32>(a.x), b0, acc))));
}

@compute @workgroup_size(16, 16)
fn mainVec4(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let t = lid.y * 16u + lid.x;
  let row0 = i32(wid.y * 64u);
  let col0 = i32(wid.x * 64u);
  let k4 = p.k / 4;
  let n4 = p.n / 4;
  // A loader: tile row t / 4, k quad t % 4; B loader: k row t / 16, n quad t % 16.
  let ar = i32(t / 4u);
  let aq = i32(t % 4u);
  let bk = i32(t / 16u);
  let bq = i32(t % 16u);
  var acc: array<vec4<f32>, 4>;
  for (var k0 = 0; k0 < p.k; k0 += i32(TILE_K)) {
    var av = vec4<f32>(0.0);
    let row = row0 + ar;
    let kq = k0 / 4 + aq;
    if (row < p.m && kq < k4) { av = a4[row * k4 + kq]; }
    tileAk[t] = av;
    var bv = vec4<f32>(0.0);
    let cq = col0 / 4 + bq;
    if (k0 + bk < p.k && cq < n4) { bv = b4[(k0 + bk) * n4 + cq]; }
    tileB[t] = bv;
    workgroupBarrier();
    for (var q = 0u; q < 4u; q++) {
      let b0 = tileB[(q * 4u) * 16u + lid.x];
      let b1 = tileB[(q * 4u + 1u) * 16u + lid.x];
      let b2 = tileB[(q * 4u + 2u) * 16u + lid.x];
      let b3 = tileB[(q * 4u + 3u) * 16u + lid.x];
      let r = lid.y * 16u + q;
      acc[0] = fma4(acc[0], tileAk[r], b0, b1, b2, b3);
      acc[1] = fma4(acc[1], tileAk[r + 4u], b0, b1, b2, b3);
      acc[2] = fma4(acc[2], tileAk[r + 8u], b0, b1, b2, b3);
      acc[3] = fma4(acc[3], tileAk[r + 12u], b0, b1, b2, b3);
    }
    workgroupBarrier();
  }
  let col = col0 + i32(lid.x) * 4;
  if (col >= p.n) { return; }
  var bias4 = vec4<f32>(0.0);
  if (HAS_BIAS) { bias4 = vec4<f32>(bias[col], bias[col + 1], bias[col + 2], bias[col + 3]); }
  for (var i = 0; i < 4; i++) {
    let row = row0 + i32(lid.y) * 4 + i;
    if (row >= p.m) { break; }
    var v = acc[i] + bias4;
    if (RELU) { v = select(v, vec4<f32>(0.0), v < vec4<f32>(0.0)); }
    let o = row * p.n + col;
    c[o] = v.x;
    c[o + 1] = v.y;
    c[o + 2] = v.z;
    c[o + 3] = v.w;
  }
}
