/**
 * What the tape records for each differentiable op: the attributes its backward rule reads.
 * An op that is exactly one kernel call is recorded under the kernel's name with the kernel's
 * attributes; composite ops (reshape, reduce over arbitrary axes) under their own name.
 */
import type { KernelAttrs, ReduceOp } from '../spec/index.js';

/** Kernels whose forward call is recorded as is (inputs, outputs and attributes of the kernel). */
interface KernelGradOps {
  Conv2D: KernelAttrs<'Conv2D'>;
  MaxPool2D: KernelAttrs<'MaxPool2D'>;
  /** Outputs [y, argmax]; gradient flows from y (overlapping max pooling records the taps it selects, not x). */
  MaxPool2DArgmax: KernelAttrs<'MaxPool2DArgmax'>;
  AvgPool2D: KernelAttrs<'AvgPool2D'>;
  MatMul: KernelAttrs<'MatMul'>;
  BiasAdd: KernelAttrs<'BiasAdd'>;
  Binary: KernelAttrs<'Binary'>;
  Expand: KernelAttrs<'Expand'>;
  Unary: KernelAttrs<'Unary'>;
  /** Inputs [dy, x, y]; differentiable in dy only. */
  UnaryGrad: KernelAttrs<'UnaryGrad'>;
  Softmax: KernelAttrs<'Softmax'>;
  /** Inputs [logits, labels]; differentiable in logits only. */
  SoftmaxCrossEntropy: KernelAttrs<'SoftmaxCrossEntropy'>;
  /** Inputs [x, gamma, beta, residual?]; outputs [y, mean, variance]; gradient flows from y (running statistics are not inputs). */
  BatchNormTrain: KernelAttrs<'BatchNormTrain'>;
  /** Inputs [x, gamma, beta, mean, variance]; the statistics are constants. */
  BatchNormInference: KernelAttrs<'BatchNormInference'>;
  /** Inputs [x, noise]; differentiable in x only. */
  Dropout: KernelAttrs<'Dropout'>;
  Concat: KernelAttrs<'Concat'>;
  Slice: KernelAttrs<'Slice'>;
  Transpose: KernelAttrs<'Transpose'>;
  Pad: KernelAttrs<'Pad'>;
}

export interface GradOps extends KernelGradOps {
  /** A view with another shape (no kernel). */
  reshape: Record<string, never>;
  /** sum / mean / max over any axes; `keptShape` is the input shape with reduced axes set to 1. */
  reduce: { op: ReduceOp; keptShape: readonly number[]; count: number };
}

export type GradOp = keyof GradOps;
export type GradAttrs<K extends GradOp> = GradOps[K];
