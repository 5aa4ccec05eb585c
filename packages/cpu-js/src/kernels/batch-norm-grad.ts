import { ArgumentError, type KernelFn } from '@stridenet/core';
import { alloc } from '../buffers.js';

/**
 * With xhat = (x - mean) / sqrt(var + eps) and n cells per channel:
 * dbeta = sum dy, dgamma = sum dy xhat, dx = gamma / sqrt(var + eps) / n * (n dy - dbeta - xhat dgamma).
 * With a fused relu, dy is first masked by the forward output: dy where y > 0, else 0.
 */
export const BatchNormGrad: KernelFn<Float32Array, 'BatchNormGrad'> = ({ dy: dyIn, x, gamma, mean, variance, y }, { plan, epsilon, activation }) => {
  const { outer, channels: C, inner } = plan;
  const dy = activation === 'relu' ? reluMasked(dyIn, y) : dyIn;
  const n = outer * inner;
  const dx = alloc(outer * C * inner);
  const dgamma = alloc(C);
  const dbeta = alloc(C);
  for (let c = 0; c < C; c++) {
    const mu = mean[c]!;
    const invStd = 1 / Math.sqrt(variance[c]! + epsilon);
    let sdy = 0;
    let sdyx = 0;
    for (let o = 0; o < outer; o++) {
      const at = (o * C + c) * inner;
      for (let i = 0; i < inner; i++) {
        const g = dy[at + i]!;
        sdy += g;
        sdyx += g * (x[at + i]! - mu);
      }
    }
    const dg = sdyx * invStd;
    dgamma[c] = dg;
    dbeta[c] = sdy;
    const k = (gamma[c]! * invStd) / n;
    const meanTerm = sdy;
    const xTerm = dg * invStd;
    for (let o = 0; o < outer; o++) {
      const at = (o * C + c) * inner;
      for (let i = 0; i < inner; i++) dx[at + i] = k * (n * dy[at + i]! - meanTerm - (x[at + i]! - mu) * xTerm);
    }
  }
  return [dx, dgamma, dbeta];
};

function reluMasked(dy: Float32Array, y: Float32Array | undefined): Float32Array {
  if (y === undefined) throw new ArgumentError('batchNormGrad', 'y', y, "the fused forward output (activation 'relu' masks dy by y > 0)");
  return dy.map((g, i) => (y[i]! > 0 ? g : 0));
}
