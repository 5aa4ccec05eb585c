import type { BinaryOp, ReduceOp, UnaryOp } from '@stridenet/core';

// Must match the enums in src/native/ops.h.
export const BINARY_CODES: Readonly<Record<BinaryOp, number>> = { add: 0, sub: 1, mul: 2, div: 3, max: 4, min: 5, equal: 6 };
export const UNARY_CODES: Readonly<Record<UnaryOp, number>> = {
  relu: 0,
  leakyRelu: 1,
  elu: 2,
  sigmoid: 3,
  tanh: 4,
  exp: 5,
  log: 6,
  sqrt: 7,
  neg: 8,
  square: 9,
  identity: 10,
};
export const REDUCE_CODES: Readonly<Record<ReduceOp, number>> = { sum: 0, mean: 1, max: 2 };
