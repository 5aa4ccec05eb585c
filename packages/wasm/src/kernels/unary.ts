import type { KernelFn, UnaryOp } from '@stridenet/core';
import { CHUNK, f32, type WasmHandle } from '../runtime.js';

/** Op codes read by assembly/kernels/unary.ts and unary-grad.ts. */
export const UNARY_OPS: Readonly<Record<UnaryOp, number>> = {
  relu: 0, leakyRelu: 1, elu: 2, sigmoid: 3, tanh: 4, exp: 5, log: 6, sqrt: 7, neg: 8, square: 9, identity: 10,
};

export function unaryCode(kernel: string, op: UnaryOp): number {
  const code = UNARY_OPS[op];
  if (code === undefined) throw new RangeError(`wasm ${kernel}: op is '${String(op)}'; expected one of ${Object.keys(UNARY_OPS).join(', ')}`);
  return code;
}

export const unary: KernelFn<WasmHandle, 'Unary'> = ({ x }, { op, alpha, size }) => {
  const rt = x.runtime;
  const y = rt.alloc(size);
  const frame = rt.frame([x.ptr, y.ptr, unaryCode('Unary', op), f32(alpha), size]);
  try {
    rt.run('unary', frame, Math.ceil(size / CHUNK), { work: size * 8 });
  } finally {
    rt.release(frame);
  }
  return y;
};
