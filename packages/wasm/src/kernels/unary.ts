import { enumCodes, type KernelFn, type UnaryOp } from '@stridenet/core';
import { CHUNK, f32, type WasmHandle } from '../runtime.js';
import { checkFiniteAttr, checkSize, opCode } from '../checks/attrs.js';
import { launch } from '../checks/call.js';

/** Op codes read by assembly/kernels/unary.ts and unary-grad.ts (UNARY_OP_* in assembly/generated/spec.ts). */
export const UNARY_OPS = enumCodes('unaryOp');

/** Size, op code and alpha of Unary and UnaryGrad, checked. */
export function unaryAttrs(kernel: string, attrs: { op: UnaryOp; alpha: number; size: number }): { size: number; code: number; alpha: number } {
  const size = checkSize(kernel, attrs);
  return { size, code: opCode(kernel, UNARY_OPS, attrs.op), alpha: checkFiniteAttr(kernel, 'alpha', attrs.alpha) };
}

export const unary: KernelFn<WasmHandle, 'Unary'> = (inputs, attrs) => {
  const { size, code, alpha } = unaryAttrs('Unary', attrs);
  return launch('Unary', inputs, { x: size }, (k) => {
    const y = k.output(size);
    const frame = k.frame([k.ptr.x, k.addr(y), code, f32(alpha), size]);
    k.run('unary', frame, Math.ceil(size / CHUNK), { work: size * 8 });
    return y;
  });
};
