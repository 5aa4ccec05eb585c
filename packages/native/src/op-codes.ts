import { enumCodes } from '@stridenet/core';

// Codes of core's ENUMS, the same the addon's generated enums (src/native/generated/spec.h) use.
export const BINARY_CODES = enumCodes('binaryOp');
export const UNARY_CODES = enumCodes('unaryOp');
export const REDUCE_CODES = enumCodes('reduceOp');
