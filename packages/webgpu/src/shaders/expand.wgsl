// x repeated along broadcast axes to the output shape. Gather shader (gather.wgsl), packed params
// (packed.wgsl): the ExpandPlan encoding [rank, size, outShape x6, inStrides x6].
const SIZE_WORD: i32 = EXPAND_SIZE;

fn gather(i: i32) -> f32 {
  var rest = i;
  var src = 0;
  for (var d = word(EXPAND_RANK) - 1; d >= 0; d--) {
    let dim = word(EXPAND_OUT_SHAPE + d);
    src += (rest % dim) * word(EXPAND_IN_STRIDES + d);
    rest = rest / dim;
  }
  return x[src];
}
