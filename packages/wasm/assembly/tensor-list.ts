// The tensorList plan of the multi-tensor kernels: [count, total, sizes...] after the frame. Work
// units are CHUNK values of the flattened list, so a unit may span several tensors; these helpers
// find where a unit starts. Frame slot 0 points to an i32 array of handle pointers, list by list
// (tensor t of list l at entry l * count + t).
import { argP, chunkBegin, chunkEnd, imin, planI } from './common';

@inline export function listCount(frame: usize): i32 {
  return planI(frame, 0);
}
@inline export function listTotal(frame: usize): i32 {
  return planI(frame, 1);
}
@inline export function listSize(frame: usize, t: i32): i32 {
  return planI(frame, 2 + t);
}

/** Index of the tensor that holds flat value `flat`. */
export function listTensor(frame: usize, flat: i32): i32 {
  let t = 0;
  for (let start = 0; start + listSize(frame, t) <= flat; t++) start += listSize(frame, t);
  return t;
}

/** Flat index of tensor t's first value. */
export function listStart(frame: usize, t: i32): i32 {
  let start = 0;
  for (let i = 0; i < t; i++) start += listSize(frame, i);
  return start;
}

/** Byte address of tensor t of list l. */
@inline export function listPtr(frame: usize, l: i32, t: i32): usize {
  return <usize>load<u32>(argP(frame, 0) + (<usize>(l * listCount(frame) + t) << 2));
}

/**
 * Calls piece(frame, t, b, e) for each part [b, e) (offsets inside tensor t) of the work units
 * [u0, u1), in order, until it returns false.
 */
export function forEachPiece(frame: usize, u0: i32, u1: i32, piece: (frame: usize, t: i32, b: i32, e: i32) => bool): void {
  const i0 = chunkBegin(u0), i1 = chunkEnd(u1, listTotal(frame));
  let t = listTensor(frame, i0);
  let start = listStart(frame, t);
  for (let at = i0; at < i1; t++) {
    const size = listSize(frame, t);
    const end = imin(i1, start + size);
    if (!piece(frame, t, at - start, end - start)) return;
    at = end;
    start += size;
  }
}
