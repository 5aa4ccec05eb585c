// AdamUpdate on every listed tensor at once (see tensor-list.ts): lists params, grads, ms, vs;
// frame slots 4 to 11, 13 and 14 as adamUpdate. A work unit is CHUNK flat values, possibly across tensors.
import { forEachPiece, listPtr } from '../tensor-list';
import { adamRange } from './adam-update';

function piece(frame: usize, t: i32, b: i32, e: i32): bool {
  adamRange(frame, listPtr(frame, 0, t), listPtr(frame, 1, t), listPtr(frame, 2, t), listPtr(frame, 3, t), b, e);
  return true;
}

export function adamUpdateMany(frame: usize, u0: i32, u1: i32, scratch: usize): void {
  forEachPiece(frame, u0, u1, piece);
}
