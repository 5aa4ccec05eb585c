// Constant padding. Gather shader (gather.wgsl), packed params (packed.wgsl): the PadPlan encoding
// [rank, inShape x6, before x6, after x6], then the output size (word PAD_LENGTH) and the pad value
// as an f32 (word PAD_LENGTH + 1).
const SIZE_WORD: i32 = PAD_LENGTH;

fn gather(i: i32) -> f32 {
  let rank = word(PAD_RANK);
  var rest = i;
  var src = 0;
  var stride = 1;
  var inside = true;
  for (var d = rank - 1; d >= 0; d--) {
    let dim = word(PAD_IN_SHAPE + d);
    let outDim = word(PAD_BEFORE + d) + dim + word(PAD_AFTER + d);
    let idx = rest % outDim - word(PAD_BEFORE + d);
    rest = rest / outDim;
    if (idx < 0 || idx >= dim) { inside = false; }
    src += idx * stride;
    stride *= dim;
  }
  if (!inside) { return wordF32(PAD_LENGTH + 1); }
  return x[src];
}
