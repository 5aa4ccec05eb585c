// ISA fragment (included by src/native/isa/<isa>.cc after planes.inl, whose PoolOp and columnOf it uses): max
// and average pooling of one channel plane whose windows are 3 columns wide at column stride 2 with one
// padding column on the left (ResNet's 3x3/2 pad 1 pool), any window height, row stride and other padding.
// Output k's window holds input columns 2k - 1, 2k and 2k + 1. Each output row's window rows are combined
// column by column into the vectors lo, hi of 2N columns from column 2 k0, whose evens are columns 2k and odds
// 2k + 1; column 2k - 1 is the odd one lane back, the previous pair's last odd lane slid in (S::slideIn), so
// the N outputs come out of registers. planes.inl's general path writes the deinterleaved row to a phase
// buffer and reads the taps back, one of them a float off the stores, which no store forwards.
//
// Measured on Zen 4, 1 thread, CPU ms per call, isa-check --bench-only "8x64x56x56 window 3x3" --cpu-time
// --reps 9, best of 9, four rounds alternating with main's binary (load 12-17 from other jobs; one round of
// the new binary ran at main's speed, taken as the other vCPU's load): avx2 path max 0.275-0.305 -> 0.181-0.184,
// average 0.248-0.253 -> 0.151-0.153. The avx512 path hands these forwards to the avx2 kernels
// (dispatch.inl); this kernel on 16 lanes measured within 3% of that (8x64x56x56 max 0.178 / 0.184, average
// 0.152 / 0.154; ResNet-18's stem pool 2x64x112x112 max 0.151-0.159 / 0.160, 3 alternating rounds), so the
// rule stays.

/** Whether window3s2Plane takes this geometry. */
inline bool window3s2Fits(const PoolGeom& g) { return g.WW == 3 && g.SW == 2 && g.PL == 1; }

/**
 * One output row from `n` input rows: averages multiplied by `inv` (1 / divisor per output). With `spill` the
 * row's last vector is stored whole; its spare lanes land in the next output row of the plane, written after
 * this one (`inv` runs on into that row). Columns outside the row read the op's neutral value.
 */
template <bool Max, int R>
void window3s2Row(const PoolOp<Max>& op, const float* rows, int64_t W, int64_t OW, int n, const float* inv, float* out, bool spill) {
  constexpr int64_t N = S::N;
  const S::V fill = S::set1(PoolOp<Max>::neutral());
  S::V prevOdd = fill;  // input column -1: the padding
  for (int64_t ow0 = 0; ow0 < OW; ow0 += N) {
    const S::V lo = columnOf<Max, R>(op, rows, W, n, 2 * ow0, fill), hi = columnOf<Max, R>(op, rows, W, n, 2 * ow0 + N, fill);
    const S::V odd = S::odds(lo, hi);
    S::V acc = op(op(S::slideIn(prevOdd, odd), S::evens(lo, hi)), odd);
    prevOdd = odd;
    const uint32_t bits = spill || ow0 + N <= OW ? kAllLanes : laneBits(0, OW - ow0);
    if (!Max) acc = S::mul(acc, loadLanes(inv + ow0, bits));
    storeLanes(out + ow0, bits, acc);
  }
}

template <bool Max>
void window3s2Plane(const PoolGeom& g, const float* x, const float* inv, float* y) {
  const PoolOp<Max> op;
  const int64_t H = g.H, W = g.W, OH = g.OH, OW = g.OW, SH = g.SH, PT = g.PT, WH = g.WH;
  for (int64_t oh = 0; oh < OH; oh++) {
    // Every window holds at least one input row (the plan's rule), and its rows are consecutive.
    const int64_t h0 = std::max<int64_t>(oh * SH - PT, 0), h1 = std::min(oh * SH - PT + WH, H);
    const float* rows = x + h0 * W;
    const int n = static_cast<int>(h1 - h0);
    const float* iv = Max ? nullptr : inv + oh * OW;
    float* out = y + oh * OW;
    // Not the plane's last row, and a row of at least N outputs: the spilled lanes stay in the next row.
    const bool spill = oh + 1 < OH && OW >= S::N;
    switch (n) {
      case 1:
        window3s2Row<Max, 1>(op, rows, W, OW, n, iv, out, spill);
        break;
      case 2:
        window3s2Row<Max, 2>(op, rows, W, OW, n, iv, out, spill);
        break;
      case 3:
        window3s2Row<Max, 3>(op, rows, W, OW, n, iv, out, spill);
        break;
      default:
        window3s2Row<Max, 0>(op, rows, W, OW, n, iv, out, spill);
    }
  }
}
