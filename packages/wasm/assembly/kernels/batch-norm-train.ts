// Per-channel batch statistics (two passes, f64 accumulation) then the affine normalisation.
// One unit per channel. Frame: 0 x, 1 gamma, 2 beta, 3 y, 4 mean, 5 variance, 6 epsilon (f32).
import { argF, argP, planI } from '../common';

export function batchNormTrain(frame: usize, u0: i32, u1: i32, scratch: usize): void {
  const outer = planI(frame, 0), C = planI(frame, 1), inner = planI(frame, 2);
  const x = argP(frame, 0), gamma = argP(frame, 1), beta = argP(frame, 2), y = argP(frame, 3);
  const meanOut = argP(frame, 4), varOut = argP(frame, 5), eps = argF(frame, 6);
  const count = <f64>(outer * inner);
  for (let c = u0; c < u1; c++) {
    let s: f64 = 0;
    for (let o = 0; o < outer; o++) {
      const row = x + (<usize>((o * C + c) * inner) << 2);
      for (let i = 0; i < inner; i++) s += <f64>load<f32>(row + (<usize>i << 2));
    }
    const mean = s / count;
    let q: f64 = 0;
    for (let o = 0; o < outer; o++) {
      const row = x + (<usize>((o * C + c) * inner) << 2);
      for (let i = 0; i < inner; i++) {
        const d = <f64>load<f32>(row + (<usize>i << 2)) - mean;
        q += d * d;
      }
    }
    const variance = q / count;
    store<f32>(meanOut + (<usize>c << 2), <f32>mean);
    store<f32>(varOut + (<usize>c << 2), <f32>variance);
    const scale = <f32>(<f64>load<f32>(gamma + (<usize>c << 2)) / Math.sqrt(variance + <f64>eps));
    const shift = <f32>(<f64>load<f32>(beta + (<usize>c << 2)) - mean * <f64>scale);
    const sv = f32x4.splat(scale), hv = f32x4.splat(shift);
    for (let o = 0; o < outer; o++) {
      const off = <usize>((o * C + c) * inner) << 2;
      const xr = x + off, yr = y + off;
      let i = 0;
      for (; i + 4 <= inner; i += 4) v128.store(yr + (<usize>i << 2), f32x4.add(f32x4.mul(v128.load(xr + (<usize>i << 2)), sv), hv));
      for (; i < inner; i++) store<f32>(yr + (<usize>i << 2), load<f32>(xr + (<usize>i << 2)) * scale + shift);
    }
  }
}
