// C = act(op(A) op(B) + bias) with the packed GEMM. A is packed once (units: K blocks), then units
// are (row block, column block) tiles of C, each packing its own B block.
// Frame: 0 a, 1 b, 2 bias (0 = none), 3 c, 4 relu, 5 NC, 6 packed A, 7 MC. Plan: MATMUL_ENCODING.
import { argI, argP, planI, imin } from '../common';
import { ACC, KC, MR, NR, RELU, gemmBlock, packA, packB } from '../gemm';

export function matMulPackA(frame: usize, u0: i32, u1: i32, scratch: usize): void {
  const M = planI(frame, 0), K = planI(frame, 2), tA = planI(frame, 3);
  const a = argP(frame, 0), dst = argP(frame, 6);
  const mPad = ((M + MR - 1) / MR) * MR;
  for (let b = u0; b < u1; b++) {
    const k0 = b * KC;
    const kc = imin(KC, K - k0);
    packA(dst + (<usize>(mPad * k0) << 2), a, tA ? 1 : K, tA ? M : 1, M, k0, kc);
  }
}

export function matMul(frame: usize, u0: i32, u1: i32, scratch: usize): void {
  const M = planI(frame, 0), N = planI(frame, 1), K = planI(frame, 2), tB = planI(frame, 4);
  const b = argP(frame, 1), bias = argP(frame, 2), c = argP(frame, 3);
  const relu = argI(frame, 4), NCB = argI(frame, 5), ap = argP(frame, 6), MCB = argI(frame, 7);
  const mPad = ((M + MR - 1) / MR) * MR;
  const nBlocks = (N + NCB - 1) / NCB;
  const bpk = scratch;
  const tile = scratch + (<usize>(KC * NCB) << 2);
  const z = f32x4.splat(0);
  for (let u = u0; u < u1; u++) {
    const mb = u / nBlocks;
    const nb = u - mb * nBlocks;
    const m0 = mb * MCB, n0 = nb * NCB;
    const mc = imin(MCB, M - m0), nc = imin(NCB, N - n0);
    const cb = c + (<usize>(m0 * N + n0) << 2);
    for (let k0 = 0; k0 < K; k0 += KC) {
      const kc = imin(KC, K - k0);
      packB(bpk, b, tB ? 1 : N, tB ? K : 1, k0, kc, n0, nc);
      const flags = (k0 > 0 ? ACC : 0) | (k0 + kc >= K && relu != 0 && bias == 0 ? RELU : 0);
      gemmBlock(mc, nc, kc, ap + (<usize>(mPad * k0 + m0 * kc) << 2), bpk, cb, N, flags, 0, tile, kc * NR);
    }
    if (bias != 0) {
      // The bias runs along columns here, so it is added while the C block is still in cache.
      for (let i = 0; i < mc; i++) {
        const row = cb + (<usize>(i * N) << 2);
        const bp = bias + (<usize>n0 << 2);
        let j = 0;
        for (; j + 4 <= nc; j += 4) {
          let v = f32x4.add(v128.load(row + (<usize>j << 2)), v128.load(bp + (<usize>j << 2)));
          if (relu) v = f32x4.max(v, z);
          v128.store(row + (<usize>j << 2), v);
        }
        for (; j < nc; j++) {
          let v = load<f32>(row + (<usize>j << 2)) + load<f32>(bp + (<usize>j << 2));
          if (relu) v = max<f32>(v, 0);
          store<f32>(row + (<usize>j << 2), v);
        }
      }
    }
  }
}
