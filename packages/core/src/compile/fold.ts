/**
 * Batch-norm folding on the host, in float64: y = gamma * (conv(x) + b - mean) / sqrt(var + eps) + beta
 * becomes conv'(x) + b' with W'[o] = W[o] * s[o] and b' = (b - mean) * s + beta, s = gamma / sqrt(var + eps).
 */
export interface BatchNormStats {
  gamma: Float32Array;
  beta: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
  epsilon: number;
}

export interface FoldedWeights {
  weight: Float32Array;
  bias: Float32Array;
}

/**
 * Folds inference batch norm into a weight whose leading axis is the output channel (OIHW conv
 * filters, [units, features] dense weights). `bias` is the layer's own bias, if it has one.
 */
export function foldBatchNorm(weight: Float32Array, bias: Float32Array | undefined, bn: BatchNormStats): FoldedWeights {
  const channels = bn.gamma.length;
  const per = weight.length / channels;
  const folded = new Float32Array(weight.length);
  const foldedBias = new Float32Array(channels);
  for (let o = 0; o < channels; o++) {
    const s = bn.gamma[o]! / Math.sqrt(bn.variance[o]! + bn.epsilon);
    for (let k = o * per; k < (o + 1) * per; k++) folded[k] = weight[k]! * s;
    foldedBias[o] = ((bias ? bias[o]! : 0) - bn.mean[o]!) * s + bn.beta[o]!;
  }
  return { weight: folded, bias: foldedBias };
}
