// The convolution cases of isa-check (see isa-check-conv.h).

#include "isa-check-conv.h"

namespace sn {
namespace check {

ConvShape conv(const std::string& why, int64_t N, int64_t C, int64_t H, int64_t W, int64_t O, int64_t K) {
  ConvShape s;
  s.why = why;
  s.N = N;
  s.C = C;
  s.H = H;
  s.W = W;
  s.O = O;
  s.KH = s.KW = K;
  return s;
}

/** The geometry as the addon derives it from a core plan (readConvPlan), output size by the window arithmetic. */
ConvGeom geometry(const ConvShape& s) {
  const int64_t OH = (s.H + s.PT + s.PB - ((s.KH - 1) * s.DH + 1)) / s.SH + 1;
  const int64_t OW = (s.W + s.PL + s.PR - ((s.KW - 1) * s.DW + 1)) / s.SW + 1;
  Args a;
  a.kernel = "isa-check conv";
  for (int64_t v : {s.N, s.C, s.H, s.W, s.O, OH, OW, s.KH, s.KW, s.SH, s.SW, s.DH, s.DW, s.PT, s.PB, s.PL, s.PR, s.G})
    a.enc.push_back(static_cast<int32_t>(v));
  return readConvPlan(a);
}

std::string describe(const ConvGeom& g) {
  std::string d = str(g.N) + "x" + str(g.C) + "x" + str(g.H) + "x" + str(g.W) + " * " + str(g.O) + "x" + str(g.Cg) + "x" + str(g.KH) + "x" +
                  str(g.KW);
  if (g.SH != 1 || g.SW != 1) d += " s" + (g.SH == g.SW ? str(g.SH) : str(g.SH) + "x" + str(g.SW));
  if (g.DH != 1 || g.DW != 1) d += " d" + (g.DH == g.DW ? str(g.DH) : str(g.DH) + "x" + str(g.DW));
  if (g.PT != g.PB || g.PT != g.PL || g.PT != g.PR) {
    d += " p" + str(g.PT) + "," + str(g.PB) + "," + str(g.PL) + "," + str(g.PR);
  } else if (g.PT) {
    d += " p" + str(g.PT);
  }
  if (g.G != 1) d += " g" + str(g.G);
  return d;
}

double macs(const ConvGeom& g) { return static_cast<double>(g.N) * g.O * g.P * g.Cg * g.KH * g.KW; }

/** The filter as the addon passes it without a cache: the kernels pack it on every call. */
FilterRef uncached(const float* w) { return FilterRef{[w] { return w; }}; }

namespace {

/** The three convolutions from their definition, in double: y = x * w, and dy routed back to x and w. */
ConvReference referenceConv(const ConvGeom& g, const float* x, const float* w, const float* bias, const float* dy) {
  ConvReference r;
  r.y.assign(static_cast<size_t>(g.outSize), 0);
  r.yBiasRelu.assign(static_cast<size_t>(g.outSize), 0);
  r.yBiasResRelu.assign(static_cast<size_t>(g.outSize), 0);
  r.dx.assign(static_cast<size_t>(g.inSize), 0);
  r.dw.assign(static_cast<size_t>(g.filterSize), 0);
  for (int64_t n = 0; n < g.N; n++)
    for (int64_t o = 0; o < g.O; o++) {
      const int64_t grp = o / g.Og;
      for (int64_t oh = 0; oh < g.OH; oh++)
        for (int64_t ow = 0; ow < g.OW; ow++) {
          const size_t yi = static_cast<size_t>(((n * g.O + o) * g.OH + oh) * g.OW + ow);
          const double d = dy[yi];
          double s = 0;
          for (int64_t cg = 0; cg < g.Cg; cg++) {
            const int64_t c = grp * g.Cg + cg;
            for (int64_t kh = 0; kh < g.KH; kh++) {
              const int64_t ih = oh * g.SH - g.PT + kh * g.DH;
              if (ih < 0 || ih >= g.H) continue;
              for (int64_t kw = 0; kw < g.KW; kw++) {
                const int64_t iw = ow * g.SW - g.PL + kw * g.DW;
                if (iw < 0 || iw >= g.W) continue;
                const size_t xi = static_cast<size_t>(((n * g.C + c) * g.H + ih) * g.W + iw);
                const size_t wi = static_cast<size_t>(((o * g.Cg + cg) * g.KH + kh) * g.KW + kw);
                s += static_cast<double>(x[xi]) * w[wi];
                r.dx[xi] += d * w[wi];
                r.dw[wi] += d * x[xi];
              }
            }
          }
          r.y[yi] = s;
          r.yBiasRelu[yi] = std::max(0.0, s + bias[o]);
          r.yBiasResRelu[yi] = std::max(0.0, s + bias[o] + d);
        }
    }
  return r;
}

std::vector<ConvShape> convShapes() {
  std::vector<ConvShape> s = {
      // Winograd: from 16 input channels and 14 columns on 16 lanes (64 channels at 7 and 8 columns), 64
      // channels and 8 columns on 8 and 4 lanes.
      // Output channels in the lanes (conv/forward-channels.inl): rows that fill position vectors badly,
      // channels that fill whole panels (16 on 8 lanes, 32 on 16), filter panels small enough for L1.
      conv("channels in lanes, 32 channels, 12 columns", 2, 8, 12, 14, 32, 3),
      conv("channels in lanes, 16 channels, 10 columns (LeNet C3)", 3, 6, 14, 14, 16, 5),
      conv("channels in lanes, 40 channels (a partial panel), 11 columns, stride 2", 2, 6, 13, 23, 40, 3).stride(2),
      conv("Winograd 32x32", 2, 64, 32, 32, 24, 3).pad(1),
      conv("Winograd 16x16", 2, 64, 16, 16, 48, 3).pad(1),
      conv("32x32, 16 channels (Winograd on 16 lanes only)", 2, 16, 32, 32, 24, 3).pad(1),
      conv("16x16, 48 channels (Winograd on 16 lanes only)", 2, 48, 16, 16, 48, 3).pad(1),
      // 8x8 and 7x7 outputs on 16 lanes: one vector of tiles an image, one-vector passes of 24 or 16 channel rows.
      conv("8x8, 96 channels (Winograd; 24 x 1 tile on 16 lanes)", 2, 96, 8, 8, 96, 3).pad(1),
      conv("8x8, 64 channels, batch 3 (Winograd; 16 x 1 tile on 16 lanes)", 3, 64, 8, 8, 64, 3).pad(1),
      conv("batch 1, Winograd input gradient", 1, 64, 16, 16, 64, 3).pad(1),
      // The 4 x 3 Winograd tile of 8 lanes: two tile rows a vector (half-vector loads), three vectors in one
      // pass, the last with one tile row.
      conv("Winograd 4 x 3 tile, 8 columns, 10 rows", 2, 64, 10, 8, 16, 3).pad(1),
      conv("20 output channels, batch 3", 3, 64, 16, 16, 20, 3).pad(1),
      // F(4x4, 3x3) for constant filters on 8 lanes, and 16 where AVX-512 runs full width (conv/winograd-f4.inl, the
      // fwd:const column): one tile row a vector (32x32), two (16x16), two vectors a row with a 4 x 3 tile and no
      // padding, odd pads, whole images a vector.
      conv("F(4x4, 3x3): ResNet-20 16 -> 16 at 32x32", 3, 16, 32, 32, 16, 3).pad(1),
      conv("F(4x4, 3x3): 16x16, batch 1 (vector chunks)", 1, 32, 16, 16, 32, 3).pad(1),
      conv("F(4x4, 3x3): 64 columns, 4 x 3 tile, no padding", 2, 16, 26, 66, 20, 3),
      conv("F(4x4, 3x3): asymmetric pads", 2, 24, 31, 30, 16, 3).pad(1, 2, 3, 1),
      conv("F(4x4, 3x3): 8x8, two images a vector, a part pass", 5, 64, 8, 8, 64, 3).pad(1),
      conv("F(4x4, 3x3): 4x8, four images a vector", 3, 16, 4, 8, 24, 3).pad(1),
      // On 16 lanes (full-width AVX-512): rows of 4 tiles, two images a vector and a part vector; rows of 2 tiles
      // (8 pieces a vector), eight images a vector, the last vector's second half empty.
      conv("F(4x4, 3x3): 8x16, two images a vector on 16 lanes", 5, 16, 8, 16, 16, 3).pad(1),
      conv("F(4x4, 3x3): 4x8, 64 channels, eight images a vector on 16 lanes", 3, 64, 4, 8, 16, 3).pad(1),
      // Outputs not in whole 4x4 tiles from two vectors of tiles a batch (the last tile row and column partly stored,
      // patches past the input reading zeros): ResNet-18's 14x14 (two tile rows a vector on 8 lanes, an image a
      // vector on 16) and 7x7 (two images a vector on 8 lanes, four on 16: tile rows of 4 and 3 output rows in one
      // vector; a part vector of images), AlexNet's 13x13 (16 lanes too), an odd tile-row count (10 rows: the second
      // half of the last vector past the last tile row), no padding, and 30 columns (8 tiles a row, 6 of 8 columns
      // in the last).
      conv("F(4x4, 3x3) part tiles: 14x14, batch 2", 2, 64, 14, 14, 40, 3).pad(1),
      conv("F(4x4, 3x3) part tiles: 7x7, batch 9 (a part vector)", 9, 64, 7, 7, 24, 3).pad(1),
      conv("F(4x4, 3x3) part tiles: 13x13, batch 3", 3, 64, 13, 13, 32, 3).pad(1),
      conv("F(4x4, 3x3) part tiles: 10x14, batch 3 (odd tile rows)", 3, 32, 10, 14, 16, 3).pad(1),
      conv("F(4x4, 3x3) part tiles: 6x8 outputs from 8x10, no padding, batch 9", 9, 64, 8, 10, 24, 3),
      conv("F(4x4, 3x3) part tiles: 30x30, batch 2", 2, 16, 30, 30, 16, 3).pad(1),
      conv("F(4x4, 3x3) part tiles: 5x7, batch 9 (a part vector)", 9, 64, 5, 7, 16, 3).pad(1),
      // Tile rows that fill seven eighths of their vectors (f4Rows): 14 tiles a row (ResNet-18's 56x56: two vectors a row
      // on 8 lanes, the second with 6 tiles; one of 14 on 16), 7 (its 28x28: a vector of 7 on 8 lanes, the last 4-lane
      // group part stored; two tile rows of 7 in the halves on 16, an odd tile-row count) and 15 (60 columns, part tiles).
      conv("F(4x4, 3x3) part rows: 56x56, 14 tiles a row", 1, 16, 56, 56, 24, 3).pad(1),
      conv("F(4x4, 3x3) part rows: 28x28, 7 tiles a row, batch 2", 2, 32, 28, 28, 16, 3).pad(1),
      conv("F(4x4, 3x3) part rows: 10x60, 15 tiles a row", 2, 16, 10, 60, 16, 3).pad(1),
      // A transformed filter past 4 MiB read once a call by tasks over output-channel tiles after every pass's input
      // transform (f4RunShared, 8 lanes): 5.3 MB for 192 -> 192, 2 passes (ResNet-18's 14x14 at batch 2 has 256).
      conv("F(4x4, 3x3) shared filter: 14x14, 192 -> 192, batch 2", 2, 192, 14, 14, 192, 3).pad(1),
      // F(4x4, 3x3) with the filter transformed a block of output channels at a time (conv/winograd-f4-fused.inl): 7x7
      // outputs, filters of 1 MiB and more, 4-8 tiles on 8 lanes (batches 1-2), 8-16 on 16 (batches 2-4). Output
      // channels past a whole block, input channels past a whole chunk (and the input transform's channel split), a part
      // vector of images, 8x8 outputs (whole tiles), asymmetric pads.
      conv("F(4x4, 3x3) fused: 7x7, batch 2, 128 -> 264 (a part block)", 2, 128, 7, 7, 264, 3).pad(1),
      conv("F(4x4, 3x3) fused: 7x7, batch 1, 100 input channels (a part chunk)", 1, 100, 7, 7, 400, 3).pad(1),
      conv("F(4x4, 3x3) fused: 7x7, batch 3 (a part vector on 16 lanes)", 3, 128, 7, 7, 288, 3).pad(1),
      conv("F(4x4, 3x3) fused: 8x8, batch 4", 4, 96, 8, 8, 400, 3).pad(1),
      conv("F(4x4, 3x3) fused: 7x7 from 9x8, asymmetric pads, batch 2", 2, 112, 9, 8, 320, 3).pad(0, 0, 1, 0),
      conv("stride 2", 2, 16, 32, 32, 32, 3).pad(1).stride(2),
      conv("stride 2x3, dilation 2, asymmetric pads", 2, 8, 17, 23, 12, 3).stride(2, 3).dilation(2).pad(1, 2, 0, 3),
      // The paired-column input gradient (stride 2 along the row): three and one row phases, dilation, and
      // a grouped layer, which takes the per-phase path.
      conv("stride 3x2, dilation 2, asymmetric pads", 2, 8, 17, 23, 12, 3).stride(3, 2).dilation(2).pad(2, 0, 1, 3),
      conv("stride 1x2, 19 columns", 2, 6, 9, 19, 10, 3).stride(1, 2).pad(1),
      // Its dy channel chunks (partial sums through dx, split back into phases), blocks of channel tiles
      // (a 512-channel dy), and the 3-channel x 3-vector tile of an RGB stem, chunked too.
      conv("stride 2, 96 dy channels over 48 columns (channel chunks)", 1, 8, 20, 96, 96, 3).stride(2).pad(1),
      conv("stride 2, 512 dy channels (blocks of channel tiles)", 1, 16, 6, 6, 512, 3).stride(2).pad(1),
      conv("7x7 stride 2, 3 channels, 64 dy channels over 50 columns", 1, 3, 30, 99, 64, 7).stride(2).pad(3),
      conv("groups 2, stride 2", 2, 8, 12, 14, 8, 3).stride(2).pad(1).groups(2),
      conv("dilation 2", 2, 16, 16, 16, 16, 3).dilation(2).pad(2),
      conv("groups 2", 2, 16, 16, 16, 24, 3).pad(1).groups(2),
      conv("groups 4, 2 channels each", 2, 8, 12, 12, 8, 3).pad(1).groups(4),
      conv("depthwise 3x3 stride 2", 2, 32, 16, 16, 32, 3).pad(1).stride(2).groups(32),
      conv("depthwise 5x5 stride 2", 3, 24, 15, 15, 24, 5).pad(2).stride(2).groups(24),
      conv("depthwise 3x3", 2, 16, 17, 17, 16, 3).pad(1).groups(16),
      conv("depthwise, 2 outputs per channel", 2, 8, 12, 12, 16, 3).pad(1).groups(8),
      // Depthwise with unit column stride reads the plane in place (padding columns masked, rows outside read zeros).
      conv("depthwise 5x5, 21 columns", 2, 8, 13, 21, 8, 5).pad(2).groups(8),
      conv("depthwise 3x3, no padding, 9 columns", 2, 4, 7, 9, 4, 3).groups(4),
      // The in-place 3x3 kernels (conv/depthwise-3x3.inl, conv/depthwise-3x3-filter-grad.inl): masked edge
      // vectors on both sides and plain ones between, pads of 2 and 0 (windows wholly in the padding), 70
      // rows; a plane narrower than every vector.
      conv("depthwise 3x3 in place, 50 columns, 70 rows, asymmetric pads", 2, 4, 70, 50, 4, 3).pad(2, 0, 0, 2).groups(4),
      conv("depthwise 3x3 in place, 3 columns", 3, 8, 5, 3, 8, 3).pad(1).groups(8),
      // Batch 1; the filter gradient walks the plane row by row, 8 input rows a pass (17 rows: 8, 8, 1), and
      // a 9-column plane holds no whole vector on 8 or 16 lanes (every one masked).
      conv("depthwise 3x3 in place, batch 1, 9 columns", 1, 3, 11, 9, 3, 3).pad(1).groups(3),
      conv("depthwise 3x3 in place, batch 1, 26 columns, 17 rows", 1, 5, 17, 26, 5, 3).pad(1).groups(5),
      // 32 columns at pad 1: the first vector's left shift and the last one's right shift made in registers
      // (S::slideIn / S::slideOut) on 4, 8 and 16 lanes, whole vectors between them on 4 and 8.
      conv("depthwise 3x3 in place, 32 columns, edges in registers", 2, 3, 7, 32, 3, 3).pad(1).groups(3),
      // A last vector column with lanes past the row moved back to end at the row's end (unmasked loads, only
      // its new lanes stored): 56 columns at pad 1 (on 16 lanes a right edge over columns 40-55), and 17
      // columns at left pad 2, right pad 0 (on 16 lanes a left edge at column -1, on 8 lanes a whole vector).
      conv("depthwise 3x3 in place, 56 columns, last vector moved back", 2, 3, 6, 56, 3, 3).pad(1).groups(3),
      conv("depthwise 3x3 in place, 17 columns, left pad 2, last vector moved back", 2, 2, 9, 17, 2, 3).pad(1, 1, 2, 0).groups(2),
      [] {
        ConvShape s = conv("depthwise 3x3, row stride 2 and dilation 2, asymmetric pads", 2, 8, 15, 19, 8, 3).stride(2, 1).pad(2, 1, 0, 2).groups(8);
        s.DH = 2;
        return s;
      }(),
      [] {
        ConvShape s = conv("depthwise 3x5 (any window), 6 columns", 2, 4, 9, 6, 4, 3).pad(1, 1, 2, 2).groups(4);
        s.KW = 5;
        return s;
      }(),
      // One-input-channel filter gradients: too few blocks for the pool, so images are split across tasks.
      conv("1 channel in and out", 5, 1, 12, 12, 1, 3).pad(1),
      conv("1 input channel, 3 outputs (block remainders)", 3, 1, 10, 10, 3, 3).pad(1),
      conv("LeNet C1, batch 9", 9, 1, 28, 28, 6, 5).pad(2),
      // The single-input-channel forward (conv/forward-single-channel.inl): a partial channel tile and a
      // column pair whose second vector is empty; batch 1 (column pairs split across tasks) with a 7x7
      // filter and asymmetric pads.
      conv("1 input channel, 5 outputs, 17 columns", 3, 1, 11, 17, 5, 3).pad(1),
      conv("1 input channel, batch 1, 7x7, asymmetric pads", 1, 1, 12, 40, 8, 7).pad(1, 2, 3, 0),
      // A few input channels take the same kernel (their taps side by side): 3 channels, a partial tile
      // of 20 outputs and 19 columns; 2 channels of 5x5 taps at batch 1 (the filter gradient splits output
      // channels across threads).
      conv("3 input channels, 20 outputs, 19 columns", 3, 3, 9, 19, 20, 3).pad(1),
      conv("2 input channels, batch 1, 5x5", 1, 2, 10, 12, 8, 5).pad(2),
      conv("LeNet C3, batch 9", 9, 6, 14, 14, 16, 5),
      // Batches of whole images per task: a row's last column pair moved back to end at the row's end on 8 and
      // 4 lanes (12 columns: one pair of overlapping vectors; 20: the second pair overlaps the first); the
      // one-channel filter gradient by output positions with padded channel and tap tiles (3 x 7x7).
      conv("1 input channel, batch 8, 12 columns, 5 outputs 7x7", 8, 1, 10, 12, 5, 7).pad(3),
      conv("3 input channels, batch 8, 20 columns", 8, 3, 9, 20, 16, 3).pad(1),
      // The filter gradient by output positions on rows of whole 16-lane vectors (8 x 3 tiles there): 20 outputs
      // pad the last channel tile, 2 channels of 5x5 the last tap tile (50 taps).
      conv("3 input channels, 20 outputs, 32 columns", 3, 3, 7, 32, 20, 3).pad(1),
      conv("2 input channels, 12 outputs, 16 columns, 5x5", 2, 2, 6, 16, 12, 5).pad(2),
      // Filter-gradient panels of one vector of output channels on 16 lanes (16 and 48 channels): the tap-tile
      // kernel into a partial dW^T (batch 3) and straight into dW (batch 1, 8x8), Winograd's GEMM (16 -> 16 at
      // 32x32 and 16 -> 48 at 12x10, 3 panels).
      conv("48 output channels, 5 channels, 12 columns", 3, 5, 16, 12, 48, 3).pad(1),
      conv("48 output channels, 7 channels, batch 1, 8x8 (dW stored directly)", 1, 7, 8, 8, 48, 3).pad(1),
      conv("16 -> 16 channels, 32x32", 2, 16, 32, 32, 16, 3).pad(1),
      conv("16 -> 48 channels, 12x10", 3, 16, 12, 10, 48, 3).pad(1),
      // Few output positions in all (conv/few-positions.inl: a dot product per output): a 1x1 map whose 3x3 pad-1
      // filter has one live tap (packed live taps, a tail of K past whole vectors: 37 channels), a 2x2 map where every
      // tap reads the input (rows in place, 4 positions: a 3-position and a 1-position pass, 7 outputs: a partial row
      // tile), stride 2 on a 2x2 map (the lower-right 2x2 taps), a one-row map (rows live, columns not: H 1, W 5),
      // dilation 2 (only the middle tap), 8 positions at batch 2, a pointwise layer and a 5x5 filter on a 3x1 map.
      conv("few positions: 1x1 map, one live tap", 1, 37, 1, 1, 20, 3).pad(1),
      conv("few positions: 2x2 map, every tap live", 1, 24, 2, 2, 7, 3).pad(1),
      conv("few positions: stride 2 on 2x2, taps 1-2", 1, 16, 2, 2, 12, 3).stride(2).pad(1),
      conv("few positions: one row of 5", 1, 8, 1, 5, 6, 3).pad(1),
      conv("few positions: dilation 2, middle tap", 1, 8, 2, 2, 6, 3).dilation(2).pad(2),
      conv("few positions: batch 2 of 2x2", 2, 12, 2, 2, 9, 3).pad(1),
      conv("few positions: pointwise 1x2", 1, 40, 1, 2, 33, 1),
      conv("few positions: 5x5 on 3x1, asymmetric pads", 1, 6, 3, 1, 5, 5).pad(2, 1, 2, 2),
      // K past kFewDotsChunk (1152): the dot passes take it in chunks, partial sums kept between them; a 2x2 map (K
      // 1440, two chunks of 720) and a 1x3 map in threes (K 1200, two of 600; 13 rows: a partial last pass).
      conv("few positions: 2x2 map, K in chunks", 1, 160, 2, 2, 7, 3).pad(1),
      conv("few positions: 1x3 map, K in chunks", 1, 400, 1, 3, 13, 3).pad(1),
      // Past 8 positions they go to the lanes (fewLanes): 16 (a 4x4 map; 12 rows x 1 vector on 16 lanes), 18 (two
      // 3x3 maps, the last vector pair mostly padding), 12 1x1 maps (the middle tap), 80 (2x2 maps at batch 20).
      conv("few positions: 4x4 map in the lanes", 1, 16, 4, 4, 14, 3).pad(1),
      conv("few positions: batch 2 of 3x3, 18 positions", 2, 10, 3, 3, 13, 3).pad(1),
      conv("few positions: batch 12 of 1x1", 12, 20, 1, 1, 7, 3).pad(1),
      conv("few positions: batch 20 of 2x2", 20, 9, 2, 2, 19, 3).pad(1),
  };
  // Narrow outputs: several rows share a vector (forward, Winograd tiles) or most lanes are masked.
  for (int64_t ow : {1, 2, 3, 4, 5, 6}) s.push_back(conv(str(ow) + " output column" + (ow == 1 ? "" : "s"), 2, 8, 6, ow + 2, 12, 3));
  for (int64_t ow : {8, 9}) s.push_back(conv(str(ow) + " output columns", 2, 64, 8, ow, 16, 3).pad(1));
  // Vector edges at 4, 8 and 16 lanes.
  s.push_back(conv("15 columns", 2, 64, 9, 15, 16, 3).pad(1));
  s.push_back(conv("16 columns", 2, 8, 8, 16, 12, 5).pad(2));
  s.push_back(conv("17 columns, 20 output channels", 2, 64, 7, 17, 20, 3).pad(1));
  s.push_back(conv("33 columns", 2, 8, 5, 33, 8, 3).pad(1));
  s.push_back(conv("20 output channels, 5x5", 2, 8, 16, 16, 20, 5).pad(2));
  s.push_back(conv("deep K (260 channels)", 2, 260, 6, 6, 20, 3).pad(1));
  s.push_back(conv("pointwise", 2, 32, 16, 16, 40, 1));
  s.push_back(conv("1x1 stride 2 (input phases no tap reaches)", 2, 16, 15, 16, 32, 1).stride(2));
  // Stride 2: input rows split into their two column phases with vector deinterleaves (conv/slab.inl),
  // widths around 1, 2 and 4 vector pairs, even and odd left pads; the ResNet stem (7x7, 3 channels).
  for (int64_t w : {9, 16, 17, 33, 40})
    s.push_back(conv("stride 2, " + str(w) + " columns, left pad " + str(w % 3), 2, 6, 11, w, 12, 3).stride(2).pad(1, 1, w % 3, 1));
  s.push_back(conv("7x7 stride 2 pad 3, 3 channels (the ResNet stem)", 2, 3, 40, 45, 16, 7).stride(2).pad(3));
  // The stem's filter gradient on images of several row blocks on 16 lanes too (dy^T packed a block at a time).
  s.push_back(conv("7x7 stride 2 pad 3, 3 -> 64 channels, 72x70", 2, 3, 72, 70, 64, 7).stride(2).pad(3));
  // Rows of more than 64 columns: filter-gradient blocks of at least 4 rows (here 4, 4 and a last 2), and an
  // odd row length under the 3-tap last tile's position pairs.
  s.push_back(conv("7x7 stride 2 pad 3, 3 -> 64 channels, 20x150 (rows of 75)", 1, 3, 20, 150, 64, 7).stride(2).pad(3));
  // Strided layers with 64+ output channels take the channel-lane kernel on 8 lanes; batch 1 splits the
  // image into row bands on several threads. 7x7 outputs take Winograd on 8 lanes.
  s.push_back(conv("7x7 stride 2, 3 -> 70 channels, batch 1", 1, 3, 23, 21, 70, 7).stride(2).pad(3));
  s.push_back(conv("3x3 stride 2, 64 -> 64 channels, batch 1", 1, 64, 13, 11, 64, 3).stride(2).pad(1));
  // A slab past 160 KiB (64 channels x 2 phases x 41 rows): row bands that keep it in L2, on any thread count.
  s.push_back(conv("3x3 stride 2, 64 -> 80 channels, 40x40, L2 row bands", 2, 64, 40, 40, 80, 3).stride(2).pad(1));
  // 3-wide filters at column stride 2 in channel lanes on 32-register paths (conv/forward-channels-s2.inl;
  // AVX2 and portable run these through forward-channels.inl or the position tiles): rows cut into tiles of 8
  // and 7 columns, a last tile past the row's end, odd widths, asymmetric pads, a row stride of 1 and 3.
  // The first is NEON's (channel lanes chosen on 4 lanes), the others AVX-512's (whole panels of 32).
  s.push_back(conv("3x3 stride 2, 8 -> 16 channels, 9 columns (channel lanes on 4 lanes)", 2, 8, 9, 19, 16, 3).stride(2));
  s.push_back(conv("3x3 stride 2, 24 -> 32 channels, 15 columns", 2, 24, 15, 29, 32, 3).stride(2).pad(1));
  s.push_back(conv("3x3 stride 2, 64 -> 96 channels, 13 columns, pads 0, 1, 2, 0", 1, 64, 11, 26, 96, 3).stride(2).pad(0, 1, 2, 0));
  s.push_back(conv("3x3 stride 1x2, 64 channels, 10 columns", 2, 64, 7, 20, 64, 3).stride(1, 2).pad(1));
  s.push_back(conv("3x3 stride 3x2, 64 channels, 19 columns, pads 2, 0, 1, 2", 1, 64, 14, 36, 64, 3).stride(3, 2).pad(2, 0, 1, 2));
  // The channel-lane strided input gradient (conv/backprop-input-channels.inl): dy row bands past 160 KiB,
  // dy channel chunks, column phases zipped (even and odd widths) or stored apart (strides 2x3, 3 and 4),
  // dilation, phases without taps.
  s.push_back(conv("3x3 stride 2, 16 -> 128 channels, 60x58, dy row bands", 1, 16, 60, 58, 128, 3).stride(2).pad(1));
  s.push_back(conv("3x3 stride 2, 32 -> 100 channels, 30x57 (odd width)", 1, 32, 30, 57, 100, 3).stride(2).pad(1));
  s.push_back(conv("stride 2x3, dilation 2, asymmetric pads, 16 channels", 2, 16, 21, 31, 24, 3).stride(2, 3).dilation(2).pad(1, 2, 0, 3));
  // The same on 16 lanes (32-channel panels): dy row bands and channel chunks, then 7x7 phases (no size floor there).
  s.push_back(conv("3x3 stride 2, 32 -> 160 channels, 60x58, dy row bands and chunks", 1, 32, 60, 58, 160, 3).stride(2).pad(1));
  s.push_back(conv("3x3 stride 2, 64 -> 72 channels, 14x14", 2, 64, 14, 14, 72, 3).stride(2).pad(1));
  // The blocked channel-lane forward (forwardChannelsBlocked, 8 lanes: 128 KiB of filter and more, up to 128 positions a
  // batch): several chunks of input channels, tiles across images (75 positions, 6 a tile), a part panel; ResNet-18's 1x1/2.
  s.push_back(conv("1x1 stride 2, 256 -> 136 channels, 9x9, batch 3 (blocked channel lanes)", 3, 256, 9, 9, 136, 1).stride(2));
  s.push_back(conv("3x3 stride 2, 96 -> 88 channels, 9x10, batch 3 (blocked channel lanes)", 3, 96, 9, 10, 88, 3).stride(2).pad(1));
  // Small phases on 8 lanes (5x5 and 5x6: a last tile of one or six positions) and dy row bands of even height.
  s.push_back(conv("3x3 stride 2, 32 -> 48 channels, 10x11", 3, 32, 10, 11, 48, 3).stride(2).pad(1));
  s.push_back(conv("3x3 stride 2, 16 -> 256 channels, 56x30, 4 dy row bands", 1, 16, 56, 30, 256, 3).stride(2).pad(1));
  s.push_back(conv("5x5 stride 3, 32 channels, odd sizes", 3, 32, 25, 31, 20, 5).stride(3).pad(2));
  s.push_back(conv("3x3 stride 4 (phases no tap reaches), 32 channels", 1, 32, 40, 45, 16, 3).stride(4).pad(1));
  s.push_back(conv("7x7 outputs, 64 channels", 2, 64, 7, 7, 24, 3).pad(1));
  // 5 and 6 output columns from 64 channels: F(2x2, 3x3) on 8 lanes (3 tiles a row, two rows a vector; fwd and dx),
  // F(4x4, 3x3) on images of 2 x 2 tiles (whole images a vector; fwd:const) on 8 and 16: All-CNN-C's valid 8x8 -> 6x6
  // layer, and 5x5 outputs of 9 images (the last vector part used).
  s.push_back(conv("6x6 outputs (valid), 64 -> 24 channels, batch 8", 8, 64, 8, 8, 24, 3));
  s.push_back(conv("5x5 outputs, 64 -> 20 channels, batch 9", 9, 64, 5, 5, 20, 3).pad(1));
  // Transformed filters past 2 MiB at small batches (winograd-shared.inl): inputs transformed first, output-channel blocks as tasks.
  s.push_back(conv("7x7 outputs, 256 -> 260 channels, batch 3", 3, 256, 7, 7, 260, 3).pad(1));
  s.push_back(conv("14x14 outputs, 192 -> 200 channels, batch 2", 2, 192, 14, 14, 200, 3).pad(1));
  s.push_back(conv("13x9 outputs, 200 channels, batch 1", 1, 200, 13, 9, 200, 3).pad(1));
  s.push_back(conv("1 output channel", 2, 8, 12, 12, 1, 3).pad(1));
  // The Winograd filter gradient (conv/winograd-filter-grad.inl): no padding and odd planes (tiles past the
  // last row and column), batch 1, asymmetric pads, vectors of tiles across 2-4 tile rows, output channels
  // that fill no whole panel, and a long reduction (50k positions; the error grows with it).
  s.push_back(conv("Winograd filter gradient, no padding, 15x13 (odd outputs)", 2, 16, 15, 13, 16, 3));
  s.push_back(conv("Winograd filter gradient, batch 1, 9x11, 40 output channels", 1, 32, 9, 11, 40, 3).pad(1));
  s.push_back(conv("Winograd filter gradient, asymmetric pads, 28x28, 17 -> 33 channels", 3, 17, 27, 28, 33, 3).pad(1, 2, 0, 2));
  s.push_back(conv("Winograd filter gradient, 50k positions", 16, 16, 56, 56, 16, 3).pad(1));
  // The polyphase Winograd forward of 3x3 stride-2 layers (conv/winograd-s2.inl; fwd columns, fwd:const too; batches
  // of 16 vectors of tiles and more): 7 tiles a row across vectors (ResNet-18's 28x28 outputs), partial tiles past
  // the last row and column with vectors across images (8 lanes), whole vectors a row, asymmetric pads.
  s.push_back(conv("polyphase Winograd: ResNet-18's 56x56 -> 28x28, 64 -> 32 channels, batch 6", 6, 64, 56, 56, 32, 3).stride(2).pad(1));
  s.push_back(conv("polyphase Winograd: 17x15 outputs, batch 8, 20 channels", 8, 64, 33, 30, 20, 3).stride(2).pad(1));
  s.push_back(conv("polyphase Winograd: 64 output columns, no padding, batch 4", 4, 64, 33, 129, 24, 3).stride(2));
  s.push_back(conv("polyphase Winograd: 4x12 outputs, 3 tiles an image, batch 48 (8 images a pass on 8 lanes)", 48, 64, 8, 24, 16, 3).stride(2).pad(1));
  s.push_back(conv("polyphase Winograd: asymmetric pads, 96 -> 40 channels, 28x29 outputs", 5, 96, 55, 56, 40, 3).stride(2).pad(0, 2, 1, 3));
  // Rows of 2 tiles (8x8 and 7x6 outputs: 4 pieces a vector on 8 lanes, each vector from a tile row's start) and a
  // transformed filter past 2 MiB (All-CNN-C's 192 -> 192 at 16x16).
  s.push_back(conv("polyphase Winograd: 8x8 outputs, 128 -> 120 channels, batch 24", 24, 128, 16, 15, 120, 3).stride(2).pad(1));
  s.push_back(conv("polyphase Winograd: 6x7 outputs, 128 -> 120 channels, batch 25", 25, 128, 12, 13, 120, 3).stride(2).pad(1));
  // The column-polyphase stem forward (conv/winograd-stem.inl, 8 lanes): batch 1 with rows of 7 vectors of pairs, an
  // odd width (a last pair of one column, a vector across the row end), 1 and 4 channels, row stride 3, asymmetric pads.
  s.push_back(conv("stem Winograd: 7x7/2, 3 -> 64 channels, 112x112 input, batch 1", 1, 3, 112, 112, 64, 7).stride(2).pad(3));
  s.push_back(conv("stem Winograd: 7x7/2, 3 -> 72 channels, 37x45 input (odd widths), batch 3", 3, 3, 37, 45, 72, 7).stride(2).pad(3));
  s.push_back(conv("stem Winograd: 7x7/2, 1 -> 66 channels (a part tile), asymmetric pads, 30x61", 2, 1, 30, 61, 66, 7).stride(2).pad(2, 3, 1, 4));
  s.push_back(conv("stem Winograd: 7x7 stride 3x2, 4 -> 96 channels, 26x50", 2, 4, 26, 50, 96, 7).stride(3, 2).pad(1, 2, 3, 0));
  // On 16 lanes (full-width AVX-512) rows lie end to end in halves of 8 pairs: rows of 7 halves (ResNet's 112 output
  // columns), each other vector across a row end; rows of 3 halves, the last of 4 pairs.
  s.push_back(conv("stem Winograd: 7x7/2, 3 -> 64 channels, 20x224 input (rows of 7 half vectors)", 1, 3, 20, 224, 64, 7).stride(2).pad(3));
  s.push_back(conv("stem Winograd: 7x7/2, 3 -> 64 channels, 17x80 input (rows of 2.5 half vectors), batch 2", 2, 3, 17, 80, 64, 7).stride(2).pad(3));
  // The stride-2 polyphase Winograd filter gradient (conv/winograd-filter-grad-s2.inl): odd outputs (tiles past
  // the last row and column), channel tiles and panels part full, blocks across images, channel chunks or
  // image parts on several threads, asymmetric and zero pads, tile rows of two vectors on 16 lanes.
  s.push_back(conv("stride-2 Winograd dW, 12x19 outputs, 66 -> 72 channels", 3, 66, 23, 37, 72, 3).stride(2).pad(1));
  s.push_back(conv("stride-2 Winograd dW, 4 images of 100 tiles", 4, 64, 40, 40, 64, 3).stride(2).pad(1));
  s.push_back(conv("stride-2 Winograd dW, pads 2, 0, 0, 1", 2, 64, 30, 29, 64, 3).stride(2).pad(2, 0, 0, 1));
  s.push_back(conv("stride-2 Winograd dW, 18-tile rows", 1, 64, 22, 70, 80, 3).stride(2).pad(1));
  // The stride-2 polyphase Winograd input gradient (conv/winograd-backprop-input-s2.inl; 8x8 dx tiles, 8 vectors of
  // tiles and more): 7 tiles a row across vectors, odd sizes with partial channel tiles and bottom/right pads of 0 and
  // 2, whole vectors a row (a partial last tile), 4-tile and 1-tile images (8 pieces a vector, a pass over many images).
  s.push_back(conv("stride-2 Winograd dx: 56x56, 64 -> 64 channels, batch 3", 3, 64, 56, 56, 64, 3).stride(2).pad(1));
  s.push_back(conv("stride-2 Winograd dx: 37x29, 70 -> 66 channels, pads 1, 0, 1, 2", 7, 70, 37, 29, 66, 3).stride(2).pad(1, 0, 1, 2));
  s.push_back(conv("stride-2 Winograd dx: 16x127, 16 tiles a row", 4, 64, 16, 127, 64, 3).stride(2).pad(1));
  s.push_back(conv("stride-2 Winograd dx: 16x16, 4 tiles an image, batch 40", 40, 64, 16, 16, 72, 3).stride(2).pad(1));
  s.push_back(conv("stride-2 Winograd dx: 7x8, 1 tile an image, batch 70", 70, 64, 7, 8, 64, 3).stride(2).pad(1));
  // The stem's column-polyphase Winograd filter gradient (conv/winograd-filter-grad-stem.inl): an odd output width
  // (a last column pair of one column) at batch 1, a 2-channel layer of 16 output columns and 80 channels (a
  // part-full panel), and a 5x7 filter at row stride 3 with asymmetric pads (rows stay direct), batch 5.
  s.push_back(conv("stem dW: batch 1, 37x53 (27 output columns)", 1, 3, 37, 53, 64, 7).stride(2).pad(3));
  s.push_back(conv("stem dW: 2 -> 80 channels, 16 output columns", 3, 2, 19, 32, 80, 7).stride(2).pad(3));
  s.push_back([] {
    ConvShape c = conv("stem dW: 5x7 filter, stride 3x2, pads 1, 2, 0, 3, batch 5", 5, 4, 20, 41, 64, 7).stride(3, 2).pad(1, 2, 0, 3);
    c.KH = 5;
    return c;
  }());
  return s;
}

std::vector<double> negated(const std::vector<double>& v) {
  std::vector<double> r(v.size());
  for (size_t i = 0; i < v.size(); i++) r[i] = -v[i];
  return r;
}

}  // namespace

std::vector<ConvCase> convCases() {
  std::vector<ConvCase> cases;
  uint64_t seed = 1;
  for (const ConvShape& s : convShapes()) {
    ConvCase c;
    c.why = s.why;
    c.g = geometry(s);
    const ConvGeom& g = c.g;
    Rng rng(seed++);
    c.x = std::make_unique<EdgeBuffer>(static_cast<size_t>(g.inSize));
    c.w = std::make_unique<EdgeBuffer>(static_cast<size_t>(g.filterSize));
    c.bias = std::make_unique<EdgeBuffer>(static_cast<size_t>(g.O));
    c.dy = std::make_unique<EdgeBuffer>(static_cast<size_t>(g.outSize));
    for (EdgeBuffer* b : {c.x.get(), c.w.get(), c.bias.get(), c.dy.get()}) fill(b->data(), b->size(), rng);
    c.negW = std::make_unique<EdgeBuffer>(static_cast<size_t>(g.filterSize));
    for (size_t i = 0; i < c.w->size(); i++) c.negW->data()[i] = -c.w->data()[i];
    c.ref = referenceConv(g, c.x->data(), c.w->data(), c.bias->data(), c.dy->data());
    cases.push_back(std::move(c));
  }
  return cases;
}

CaseResult checkConv(const KernelSet& ks, const ConvCase& c, Pools& pools) {
  const ConvGeom& g = c.g;
  const std::string name = std::string(isaName(ks.isa)) + " " + describe(g);
  CaseResult res;
  res.what = describe(g) + "  (" + c.why + ")";
  const std::array<int64_t, 4> yDims = {g.N, g.O, g.OH, g.OW}, xDims = {g.N, g.C, g.H, g.W};
  OpResult fwd{"fwd", yDims}, fbr{"fwd+b+relu", yDims}, fbrr{"fwd+b+res+relu", yDims}, fwdCached{"fwd:cache", yDims},
      fwdConst{"fwd:const", yDims}, dx{"dx", xDims}, dxCached{"dx:cache", xDims},
      dw{"dw", {g.O, g.Cg, g.KH, g.KW}};
  const bool fwdFits = ks.forwardFits(g), dxFits = ks.backpropInputFits(g), dwFits = ks.backpropFilterFits(g);
  const std::vector<double> negY = negated(c.ref.y), negDx = negated(c.ref.dx);
  // A runtime's filter cache: what the kernels pack on the first call of a filter version is reused on the
  // next and rebuilt for a new version (the negated weights), with the forward and input-gradient layouts
  // of one buffer side by side, so a stale entry or two layouts under one key show up as mismatches.
  FilterCache cache;
  uint64_t version = 0;
  for (auto& pool : pools) {
    const int t = pool->size();
    const std::string on = " on " + std::to_string(t) + " thread(s)";
    if (fwdFits) {
      Output y(static_cast<size_t>(g.outSize)), yb(static_cast<size_t>(g.outSize)), yr(static_cast<size_t>(g.outSize));
      running(name + " forward" + on);
      ks.forward(g, c.x->data(), uncached(c.w->data()), nullptr, nullptr, false, y.data(), *pool);
      running(name + " forward with bias and relu" + on);
      ks.forward(g, c.x->data(), uncached(c.w->data()), c.bias->data(), nullptr, true, yb.data(), *pool);
      // dy (an edge buffer of the output's size) as the residual: reads past its end fault.
      running(name + " forward with bias, residual and relu" + on);
      ks.forward(g, c.x->data(), uncached(c.w->data()), c.bias->data(), c.dy->data(), true, yr.data(), *pool);
      fwd.ran = fbr.ran = fbrr.ran = true;
      fwd.worst.merge(compare(y, c.ref.y, t));
      fbr.worst.merge(compare(yb, c.ref.yBiasRelu, t));
      fbrr.worst.merge(compare(yr, c.ref.yBiasResRelu, t));
    }
    if (fwdFits) {
      // A constant filter (compile()'s folded weights, or a call that records no gradient) may take inference-only
      // algorithms (Winograd from 16 channels, F(4x4, 3x3)): bias, residual and relu, packed then cached.
      const FilterRef k = FilterKey{&cache, 2, ++version, true}.ref(c.w->data());
      for (int call = 0; call < 2; call++) {
        Output y(static_cast<size_t>(g.outSize));
        running(name + " forward, constant filter" + (call ? " (cached)" : " (packing)") + on);
        ks.forward(g, c.x->data(), k, c.bias->data(), c.dy->data(), true, y.data(), *pool);
        fwdConst.ran = true;
        fwdConst.worst.merge(compare(y, c.ref.yBiasResRelu, t));
      }
    }
    if (dxFits) {
      Output out(static_cast<size_t>(g.inSize));
      running(name + " input gradient" + on);
      ks.backpropInput(g, c.dy->data(), uncached(c.w->data()), out.data(), *pool);
      dx.ran = true;
      dx.worst.merge(compare(out, c.ref.dx, t));
    }
    if (dwFits) {
      Output out(static_cast<size_t>(g.filterSize));
      running(name + " filter gradient" + on);
      ks.backpropFilter(g, c.x->data(), c.dy->data(), out.data(), *pool);
      dw.ran = true;
      dw.worst.merge(compare(out, c.ref.dw, t));
    }
    for (const bool negate : {false, true}) {
      const FilterRef w = FilterKey{&cache, 1, ++version}.ref((negate ? c.negW : c.w)->data());
      for (int call = 0; call < 2; call++) {
        const std::string which = std::string(negate ? " (negated filter, " : " (filter, ") + (call ? "cached)" : "packing)") + on;
        if (fwdFits) {
          Output y(static_cast<size_t>(g.outSize));
          running(name + " forward" + which);
          ks.forward(g, c.x->data(), w, nullptr, nullptr, false, y.data(), *pool);
          fwdCached.ran = true;
          fwdCached.worst.merge(compare(y, negate ? negY : c.ref.y, t));
        }
        if (dxFits) {
          Output out(static_cast<size_t>(g.inSize));
          running(name + " input gradient" + which);
          ks.backpropInput(g, c.dy->data(), w, out.data(), *pool);
          dxCached.ran = true;
          dxCached.worst.merge(compare(out, negate ? negDx : c.ref.dx, t));
        }
      }
    }
  }
  res.ops = {fwd, fbr, fbrr, fwdCached, fwdConst, dx, dxCached, dw};
  return res;
}

}  // namespace check
}  // namespace sn
