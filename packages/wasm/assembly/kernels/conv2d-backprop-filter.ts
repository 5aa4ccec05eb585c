// dW_g = sum over images of dy_g [Mg, OHW] * im2col(x)^T [OHW, K]. Units split the K columns of dW
// (group g, column block cb), so each unit owns its output and reduces over the whole batch itself.
// Frame: 0 x, 1 dy, 3 dw, 5 NC. Plan: CONV2D_ENCODING.
import { argI, argP, planI, imin } from '../common';
import { ACC, KC, MR, NR, gemmBlock, packA } from '../gemm';
import { packIm2colT } from '../im2col';

export function conv2dBackpropFilter(frame: usize, u0: i32, u1: i32, scratch: usize): void {
  const N = planI(frame, 0), Cin = planI(frame, 1), H = planI(frame, 2), W = planI(frame, 3), Cout = planI(frame, 4);
  const OH = planI(frame, 5), OW = planI(frame, 6), KH = planI(frame, 7), KW = planI(frame, 8);
  const sH = planI(frame, 9), sW = planI(frame, 10), dH = planI(frame, 11), dW = planI(frame, 12);
  const pT = planI(frame, 13), pL = planI(frame, 15), G = planI(frame, 17);
  const x = argP(frame, 0), dy = argP(frame, 1), dw = argP(frame, 3);
  const NCB = argI(frame, 5);
  const Cg = Cin / G, Mg = Cout / G, K = Cg * KH * KW, OHW = OH * OW;
  const colBlocks = (K + NCB - 1) / NCB;
  const mPad = ((Mg + MR - 1) / MR) * MR;
  const apk = scratch;
  const bpk = apk + (<usize>(mPad * KC) << 2);
  const tile = bpk + (<usize>(KC * NCB) << 2);
  for (let u = u0; u < u1; u++) {
    const cb = u % colBlocks;
    const g = u / colBlocks;
    const j0 = cb * NCB;
    const nc = imin(NCB, K - j0);
    const dwg = dw + (<usize>(g * Mg * K + j0) << 2);
    let first = true;
    for (let n = 0; n < N; n++) {
      const xg = x + (<usize>((n * Cin + g * Cg) * H * W) << 2);
      const dyg = dy + (<usize>((n * Cout + g * Mg) * OHW) << 2);
      for (let s0 = 0; s0 < OHW; s0 += KC) {
        const kc = imin(KC, OHW - s0);
        packA(apk, dyg, OHW, 1, Mg, s0, kc);
        packIm2colT(bpk, xg, H, W, OW, KH, KW, sH, sW, dH, dW, pT, pL, s0, kc, j0, nc);
        gemmBlock(Mg, nc, kc, apk, bpk, dwg, K, first ? 0 : ACC, 0, tile, kc * NR);
        first = false;
      }
    }
  }
}
