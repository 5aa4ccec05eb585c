// SgdUpdate on every listed tensor at once (see tensor-list.ts): lists params, grads, velocities;
// frame slots 3 to 6 as sgdUpdate. A work unit is CHUNK flat values, possibly across tensors.
import { forEachPiece, listPtr } from '../tensor-list';
import { sgdRange } from './sgd-update';

function piece(frame: usize, t: i32, b: i32, e: i32): bool {
  sgdRange(frame, listPtr(frame, 0, t), listPtr(frame, 1, t), listPtr(frame, 2, t), b, e);
  return true;
}

export function sgdUpdateMany(frame: usize, u0: i32, u1: i32, scratch: usize): void {
  forEachPiece(frame, u0, u1, piece);
}
