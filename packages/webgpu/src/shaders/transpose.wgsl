// out axis d = in axis perm[d]. Gather shader (gather.wgsl), packed params (packed.wgsl): the
// TransposePlan encoding [rank, inShape x6, perm x6], then the output size (word TRANSPOSE_LENGTH).
const SIZE_WORD: i32 = TRANSPOSE_LENGTH;

fn gather(i: i32) -> f32 {
  let rank = word(TRANSPOSE_RANK);
  var inStrides: array<i32, 6>;
  var s = 1;
  for (var d = rank - 1; d >= 0; d--) {
    inStrides[d] = s;
    s *= word(TRANSPOSE_IN_SHAPE + d);
  }
  var rest = i;
  var src = 0;
  for (var d = rank - 1; d >= 0; d--) {
    let axis = word(TRANSPOSE_PERM + d);
    let dim = word(TRANSPOSE_IN_SHAPE + axis);
    src += (rest % dim) * inStrides[axis];
    rest = rest / dim;
  }
  return x[src];
}
