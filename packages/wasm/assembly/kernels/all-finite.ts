// AllFinite: frame 0 the xs pointer list (see tensor-list.ts), 1 the output, which the TypeScript side
// sets to 1 first; a unit that meets NaN or ±Inf stores 0 there (every such store writes the same 0).
import { argP } from '../common';
import { forEachPiece, listPtr } from '../tensor-list';

/** True when one of x[b..e) has all exponent bits set (NaN or ±Inf). */
function anyNonFinite(x: usize, b: i32, e: i32): bool {
  const expMask = i32x4.splat(0x7f800000);
  let bad = i32x4.splat(0);
  let i = b;
  for (; i + 4 <= e; i += 4) bad = v128.or(bad, i32x4.eq(v128.and(v128.load(x + (<usize>i << 2)), expMask), expMask));
  let tail = v128.any_true(bad);
  for (; i < e; i++) tail = tail || (load<i32>(x + (<usize>i << 2)) & 0x7f800000) == 0x7f800000;
  return tail;
}

/** False (stop) once a non-finite value is found and flagged. */
function piece(frame: usize, t: i32, b: i32, e: i32): bool {
  if (!anyNonFinite(listPtr(frame, 0, t), b, e)) return true;
  store<f32>(argP(frame, 1), 0);
  return false;
}

export function allFinite(frame: usize, u0: i32, u1: i32, scratch: usize): void {
  forEachPiece(frame, u0, u1, piece);
}
