// dbeta = sum dy, dgamma = sum dy * xhat, dx = gamma * invStd / M * (M dy - dbeta - xhat dgamma),
// with M = outer * inner; with a fused relu, dy counts only where the forward output y > 0. One unit per channel.
// Frame: 0 dy, 1 x, 2 gamma, 3 mean, 4 variance, 5 dx, 6 dgamma, 7 dbeta, 8 epsilon (f32), 9 y (0: no relu).
import { argF, argP, planI } from '../common';

// dy where y > 0 (all of dy without y) by a bit mask: relu masks are too irregular to branch on.
@inline function masked(dy: usize, y: usize, at: usize): f64 {
  if (y == 0) return <f64>load<f32>(dy + at);
  const keep = -<i32>(load<f32>(y + at) > 0);
  return <f64>reinterpret<f32>(load<i32>(dy + at) & keep);
}

export function batchNormGrad(frame: usize, u0: i32, u1: i32, scratch: usize): void {
  const outer = planI(frame, 0), C = planI(frame, 1), inner = planI(frame, 2);
  const dy = argP(frame, 0), x = argP(frame, 1), gamma = argP(frame, 2), meanP = argP(frame, 3), varP = argP(frame, 4);
  const dx = argP(frame, 5), dgamma = argP(frame, 6), dbeta = argP(frame, 7), eps = argF(frame, 8), y = argP(frame, 9);
  const M = <f64>(outer * inner);
  for (let c = u0; c < u1; c++) {
    const mean = <f64>load<f32>(meanP + (<usize>c << 2));
    const invStd = 1 / Math.sqrt(<f64>load<f32>(varP + (<usize>c << 2)) + <f64>eps);
    let sdy: f64 = 0, sdyx: f64 = 0;
    for (let o = 0; o < outer; o++) {
      const off = <usize>((o * C + c) * inner) << 2;
      for (let i = 0; i < inner; i++) {
        const g = masked(dy, y, off + (<usize>i << 2));
        sdy += g;
        sdyx += g * (<f64>load<f32>(x + off + (<usize>i << 2)) - mean);
      }
    }
    const dg = sdyx * invStd;
    store<f32>(dbeta + (<usize>c << 2), <f32>sdy);
    store<f32>(dgamma + (<usize>c << 2), <f32>dg);
    const k = <f64>load<f32>(gamma + (<usize>c << 2)) * invStd / M;
    for (let o = 0; o < outer; o++) {
      const off = <usize>((o * C + c) * inner) << 2;
      for (let i = 0; i < inner; i++) {
        const xhat = (<f64>load<f32>(x + off + (<usize>i << 2)) - mean) * invStd;
        const g = masked(dy, y, off + (<usize>i << 2));
        store<f32>(dx + off + (<usize>i << 2), <f32>(k * (M * g - sdy - xhat * dg)));
      }
    }
  }
}
