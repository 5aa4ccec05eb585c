// out = x[begin[d] .. begin[d] + outShape[d]) per axis. Gather shader (gather.wgsl), packed params
// (packed.wgsl): the SlicePlan encoding [rank, inShape x6, begin x6, outShape x6], then the output size
// (word SLICE_LENGTH).
const SIZE_WORD: i32 = SLICE_LENGTH;

fn gather(i: i32) -> f32 {
  let rank = word(SLICE_RANK);
  var rest = i;
  var src = 0;
  var stride = 1;
  for (var d = rank - 1; d >= 0; d--) {
    let dim = word(SLICE_OUT_SHAPE + d);
    let idx = rest % dim;
    rest = rest / dim;
    src += (idx + word(SLICE_BEGIN + d)) * stride;
    stride *= word(SLICE_IN_SHAPE + d);
  }
  return x[src];
}
