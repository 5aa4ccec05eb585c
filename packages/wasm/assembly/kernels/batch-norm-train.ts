// Per-channel batch statistics (two passes, f64 accumulation), the running-statistics update, then
// y = act(x * scale + shift + residual). One unit per channel.
// Frame: 0 x, 1 gamma, 2 beta, 3 y, 4 mean, 5 variance, 6 epsilon (f32), 7 residual (0: none), 8 relu (0|1),
// 9 runningMean (0: none), 10 runningVar (0: none), 11 keep = 1 - momentum, 12 momentum, 13 momentum * count / (count - 1) (f32, from the glue).
import { argF, argI, argP, planI } from '../common';

export function batchNormTrain(frame: usize, u0: i32, u1: i32, scratch: usize): void {
  const outer = planI(frame, 0), C = planI(frame, 1), inner = planI(frame, 2);
  const x = argP(frame, 0), gamma = argP(frame, 1), beta = argP(frame, 2), y = argP(frame, 3);
  const meanOut = argP(frame, 4), varOut = argP(frame, 5), eps = argF(frame, 6);
  const residual = argP(frame, 7), relu = argI(frame, 8) != 0;
  const runMean = argP(frame, 9), runVar = argP(frame, 10), keep = argF(frame, 11), takeMean = argF(frame, 12), takeVar = argF(frame, 13);
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
    const at = <usize>c << 2;
    store<f32>(meanOut + at, <f32>mean);
    store<f32>(varOut + at, <f32>variance);
    // In f32 steps, as the element-wise ops the layer used before: r * keep + stat * take.
    if (runMean != 0) store<f32>(runMean + at, load<f32>(runMean + at) * keep + <f32>mean * takeMean);
    if (runVar != 0) store<f32>(runVar + at, load<f32>(runVar + at) * keep + <f32>variance * takeVar);
    const scale = <f32>(<f64>load<f32>(gamma + at) / Math.sqrt(variance + <f64>eps));
    const shift = <f32>(<f64>load<f32>(beta + at) - mean * <f64>scale);
    const sv = f32x4.splat(scale), hv = f32x4.splat(shift), zero = f32x4.splat(0);
    for (let o = 0; o < outer; o++) {
      const off = <usize>((o * C + c) * inner) << 2;
      const xr = x + off, yr = y + off, rr = residual + off;
      let i = 0;
      for (; i + 4 <= inner; i += 4) {
        const b = <usize>i << 2;
        let v = f32x4.add(f32x4.mul(v128.load(xr + b), sv), hv);
        if (residual != 0) v = f32x4.add(v, v128.load(rr + b));
        // pmax (b < a ? a : b) keeps NaN like the scalar tail.
        if (relu) v = f32x4.pmax(zero, v);
        v128.store(yr + b, v);
      }
      for (; i < inner; i++) {
        const b = <usize>i << 2;
        let v = load<f32>(xr + b) * scale + shift;
        if (residual != 0) v += load<f32>(rr + b);
        if (relu && v < 0) v = 0;
        store<f32>(yr + b, v);
      }
    }
  }
}
