// The pooling cases of isa-check (see isa-check-pool.h).

#include "isa-check-pool.h"

namespace sn {
namespace check {

namespace {

struct PoolShape {
  int64_t N, C, H, W, WH, WW, SH, SW, PT, PB, PL, PR;
  bool ceil;
};

/** Output length as core plans it (PyTorch's rule: in ceil mode the last window must start inside the input or its leading pad). */
int64_t windowOutput(int64_t in, int64_t before, int64_t after, int64_t window, int64_t stride, bool ceil) {
  const int64_t span = in + before + after - window;
  int64_t out = (ceil ? (span + stride - 1) / stride : span / stride) + 1;
  if (ceil && (out - 1) * stride >= in + before) out--;
  return out;
}

PoolGeom geometry(const PoolShape& s, bool countIncludePad) {
  Args a;
  a.kernel = "isa-check pool";
  const int64_t OH = windowOutput(s.H, s.PT, s.PB, s.WH, s.SH, s.ceil), OW = windowOutput(s.W, s.PL, s.PR, s.WW, s.SW, s.ceil);
  for (int64_t v : {s.N, s.C, s.H, s.W, OH, OW, s.WH, s.WW, s.SH, s.SW, s.PT, s.PB, s.PL, s.PR, int64_t{countIncludePad}, int64_t{s.ceil}})
    a.enc.push_back(static_cast<int32_t>(v));
  return readPoolPlan(a);
}

std::string describe(const PoolGeom& g, bool ceil) {
  return str(g.N) + "x" + str(g.C) + "x" + str(g.H) + "x" + str(g.W) + " window " + str(g.WH) + "x" + str(g.WW) + " s" + str(g.SH) + "x" +
         str(g.SW) + " p" + str(g.PT) + "," + str(g.PB) + "," + str(g.PL) + "," + str(g.PR) + " -> " + str(g.OH) + "x" + str(g.OW) +
         (ceil ? " ceil" : "");
}

/**
 * Pooling from its definition: a NaN in a window makes its max NaN; the max-pool gradient goes to the
 * last NaN of the window in row-major order, else to its first maximum (PyTorch); average divisors as PyTorch's.
 */
PoolReference referencePool(const PoolGeom& g, const float* x, const float* dy) {
  PoolReference r;
  r.max.assign(static_cast<size_t>(g.outSize), 0);
  r.avgIncludePad.assign(static_cast<size_t>(g.outSize), 0);
  r.avgExcludePad.assign(static_cast<size_t>(g.outSize), 0);
  r.maxGrad.assign(static_cast<size_t>(g.inSize), 0);
  r.maxTaps.assign(static_cast<size_t>(g.outSize), -1);
  r.avgGradIncludePad.assign(static_cast<size_t>(g.inSize), 0);
  r.avgGradExcludePad.assign(static_cast<size_t>(g.inSize), 0);
  for (int64_t pl = 0; pl < g.planes; pl++) {
    const float* xp = x + pl * g.H * g.W;
    for (int64_t oh = 0; oh < g.OH; oh++)
      for (int64_t ow = 0; ow < g.OW; ow++) {
        const int64_t hs = oh * g.SH - g.PT, ws = ow * g.SW - g.PL;
        double sum = 0;
        int64_t count = 0, best = -1;
        float bv = 0;
        for (int64_t ih = hs; ih < hs + g.WH; ih++)
          for (int64_t iw = ws; iw < ws + g.WW; iw++) {
            if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
            const float v = xp[ih * g.W + iw];
            sum += v;
            count++;
            const bool bestIsNan = best >= 0 && std::isnan(bv);
            if (best < 0 || std::isnan(v) || (!bestIsNan && v > bv)) {
              best = ih * g.W + iw;
              bv = v;
            }
          }
        const size_t o = static_cast<size_t>((pl * g.OH + oh) * g.OW + ow);
        r.max[o] = bv;
        r.maxTaps[o] = static_cast<double>((best / g.W - hs) * g.WW + (best % g.W - ws));
        const int64_t he = std::min(hs + g.WH, g.H + g.PB), we = std::min(ws + g.WW, g.W + g.PR);
        r.avgIncludePad[o] = sum / static_cast<double>((he - hs) * (we - ws));
        r.avgExcludePad[o] = sum / static_cast<double>(count);
        if (best >= 0) r.maxGrad[static_cast<size_t>(pl * g.H * g.W + best)] += dy[o];
        const double inc = dy[o] / static_cast<double>((he - hs) * (we - ws)), exc = dy[o] / static_cast<double>(count);
        for (int64_t ih = std::max<int64_t>(hs, 0); ih < std::min(hs + g.WH, g.H); ih++)
          for (int64_t iw = std::max<int64_t>(ws, 0); iw < std::min(ws + g.WW, g.W); iw++) {
            r.avgGradIncludePad[static_cast<size_t>(pl * g.H * g.W + ih * g.W + iw)] += inc;
            r.avgGradExcludePad[static_cast<size_t>(pl * g.H * g.W + ih * g.W + iw)] += exc;
          }
      }
  }
  return r;
}

}  // namespace

std::vector<PoolCase> poolCases() {
  struct Window {
    int64_t WH, WW, SH, SW, PT, PB, PL, PR;
    bool ceil;
    std::vector<int64_t> widths;
    int64_t H = 11;
  };
  const std::vector<int64_t> widths = {7, 16, 17, 33};
  const Window windows[] = {
      {2, 2, 2, 2, 0, 0, 0, 0, false, widths},      // the common 2x2 pool (its own kernel branch)
      {2, 2, 2, 2, 0, 1, 0, 1, false, {7, 17, 33}},  // the same with 'same' padding of an odd input
      {2, 2, 2, 2, 0, 0, 0, 0, false, {58, 62}, 5},  // rows of whole vectors and a 2- or 6-column tail, a last row in no window
      // Planes the 2x2 pool tiles, narrower than a vector row (4 and 8 lanes: LeNet's 10x10) or 16 lanes' two.
      {2, 2, 2, 2, 0, 0, 0, 0, false, {4, 6, 10, 12, 14, 20, 30}, 10},
      {2, 2, 2, 2, 0, 0, 0, 0, false, {8, 10, 14, 16, 24}, 4},
      {3, 3, 2, 2, 1, 1, 1, 1, false, widths},      // ResNet stem
      {3, 3, 2, 2, 1, 1, 1, 1, true, {56, 66}, 12},  // the same (window3s2.inl) over rows of several vectors, ceil mode
      {3, 3, 1, 1, 1, 1, 1, 1, false, widths},      // Inception branch
      // 3 columns at stride 2, pad 1 on the left (window3s2-grad.inl's gradient): rows of 3 vectors and a
      // partial one (or a last block of 2N columns whose second vector lies past the row: 48 and 56 columns),
      // windows 3 rows at row stride 1 (each input row in three windows), 2 rows at stride 3 (rows in no window,
      // zeroed), padding only at the top.
      {3, 3, 2, 2, 1, 1, 1, 1, false, {48, 50, 56, 57, 66}, 7},
      {3, 3, 1, 2, 1, 1, 1, 1, false, widths},
      {2, 3, 3, 2, 0, 0, 1, 0, false, widths},
      {3, 3, 2, 2, 2, 0, 1, 1, false, widths},
      {3, 3, 2, 2, 0, 0, 0, 0, true, widths},       // ceil mode: the last window runs past the input
      {2, 3, 3, 1, 1, 0, 1, 1, false, widths},      // row stride 3 with unit column stride, uneven pads
      // Windows wider than the kernels' tap slice (16 columns).
      {3, 17, 1, 1, 0, 0, 0, 0, false, {17, 33}},
      {2, 18, 2, 2, 0, 0, 1, 1, false, {33}},
      {5, 33, 1, 1, 2, 2, 16, 16, false, {33}},
      // Stride 3 (phases split by scalar copies), windows 2 and 3, gaps between windows, uneven pads.
      {3, 3, 3, 3, 1, 1, 1, 1, false, widths},
      {2, 2, 3, 3, 0, 0, 0, 0, false, widths},
      {3, 3, 3, 3, 0, 1, 2, 0, true, widths},
      {2, 2, 1, 1, 0, 0, 0, 0, false, widths},      // stride 1, window 2
      {3, 3, 2, 2, 0, 1, 1, 0, false, widths},      // stride 2, pad only before the row / after the column
      {3, 2, 2, 2, 1, 1, 1, 1, true, widths},       // odd output count in ceil mode
      // 1D pooling (height 1), as the core's maxPool1d / avgPool1d run it.
      {1, 3, 1, 2, 0, 0, 1, 1, false, widths, 1},
      {1, 2, 1, 2, 0, 0, 0, 0, false, widths, 1},
      {1, 4, 1, 3, 0, 0, 2, 1, true, widths, 1},
      // Whole-plane windows (global pooling).
      {11, 7, 1, 1, 0, 0, 0, 0, false, {7}},
      {11, 17, 11, 17, 0, 0, 0, 0, false, {17}},
  };
  std::vector<PoolCase> cases;
  uint64_t seed = 1000;
  for (const Window& win : windows) {
    for (int64_t W : win.widths) {
      const PoolShape s{2, 3, win.H, W, win.WH, win.WW, win.SH, win.SW, win.PT, win.PB, win.PL, win.PR, win.ceil};
      PoolCase c;
      c.include = geometry(s, true);
      c.exclude = geometry(s, false);
      c.what = describe(c.include, s.ceil);
      Rng rng(seed++);
      c.x = std::make_unique<EdgeBuffer>(static_cast<size_t>(c.include.inSize));
      c.special = std::make_unique<EdgeBuffer>(static_cast<size_t>(c.include.inSize));
      c.ties = std::make_unique<EdgeBuffer>(static_cast<size_t>(c.include.inSize));
      c.dy = std::make_unique<EdgeBuffer>(static_cast<size_t>(c.include.outSize));
      fill(c.x->data(), c.x->size(), rng);
      fill(c.special->data(), c.special->size(), rng, Values::Special);
      fill(c.ties->data(), c.ties->size(), rng, Values::Ties);
      fill(c.dy->data(), c.dy->size(), rng);
      c.ref = referencePool(c.include, c.x->data(), c.dy->data());
      c.refSpecial = referencePool(c.include, c.special->data(), c.dy->data());
      c.refTies = referencePool(c.include, c.ties->data(), c.dy->data());
      cases.push_back(std::move(c));
    }
  }
  return cases;
}

CaseResult checkPool(const KernelSet& ks, const PoolCase& c, Pools& pools) {
  const PoolGeom& g = c.include;
  const std::string name = std::string(isaName(ks.isa)) + " pool " + c.what;
  CaseResult res;
  res.what = c.what;
  const std::array<int64_t, 4> yDims = {g.N, g.C, g.OH, g.OW}, xDims = {g.N, g.C, g.H, g.W};
  OpResult mx{"max", yDims}, avgIn{"avg+pad", yDims}, avgEx{"avg-pad", yDims}, grad{"max-grad", xDims}, mxSp{"max:nan/inf", yDims},
      gradSp{"max-grad:nan/inf", xDims}, mxTies{"max:ties", yDims}, gradTies{"max-grad:ties", xDims}, gradPast{"max-grad:rows-past", xDims}, avgGradIn{"avg-grad+pad", xDims}, avgGradEx{"avg-grad-pad", xDims},
      mxT{"max+taps", yDims}, tapsR{"taps", yDims}, gradT{"max-grad(taps)", xDims}, gradSame{"(taps)=(x) bits", xDims};
  // The vector max-pool gradient takes strides 1 and 2 along the row; the addon runs other strides itself.
  const bool gradFits = poolGradVectorFits(g);
  const size_t inPlane = static_cast<size_t>(g.H * g.W), outPlane = static_cast<size_t>(g.OH * g.OW);
  // Planes split across the pool as the addon does, so that kernels run on several threads at once.
  auto planes = [&](ThreadPool& pool, const std::function<void(int64_t)>& fn) {
    pool.parallelFor(g.planes, 1, [&](int64_t b, int64_t e) {
      for (int64_t pl = b; pl < e; pl++) fn(pl);
    });
  };
  // The max gradient of output rows run on past the plan, the last ones over no input row (core's plans make
  // none; a geometry built in C++ can): those windows route nothing, the others as planned.
  PoolGeom past = g;
  past.OH = (g.H + g.PT + g.SH - 1) / g.SH + 1;
  past.outSize = past.planes * past.OH * past.OW;
  std::vector<float> dyPast(static_cast<size_t>(past.outSize));
  Rng rng(77);
  fill(dyPast.data(), dyPast.size(), rng);
  const PoolReference refPast = gradFits ? referencePool(past, c.x->data(), dyPast.data()) : PoolReference{};
  for (auto& pool : pools) {
    const int t = pool->size();
    const std::string on = " on " + std::to_string(t) + " thread(s)";
    // Inputs: uniform, of few levels with NaN and Inf, of the same levels and Inf without NaN.
    const EdgeBuffer* inputs[] = {c.x.get(), c.special.get(), c.ties.get()};
    const PoolReference* refs[] = {&c.ref, &c.refSpecial, &c.refTies};
    OpResult* maxOf[] = {&mx, &mxSp, &mxTies};
    OpResult* gradOf[] = {&grad, &gradSp, &gradTies};
    for (int in = 0; in < 3; in++) {
      const float* x = inputs[in]->data();
      const PoolReference& ref = *refs[in];
      Output y(static_cast<size_t>(g.outSize));
      running(name + " max" + on);
      planes(*pool, [&](int64_t pl) { ks.maxPoolPlane(g, x + pl * inPlane, y.data() + pl * outPlane); });
      maxOf[in]->ran = true;
      maxOf[in]->worst.merge(compare(y, ref.max, t));
      // The training path: the forward records the taps (any geometry), and the gradient from them is the one
      // from x, bit for bit.
      Output yt(static_cast<size_t>(g.outSize)), taps(static_cast<size_t>(g.outSize));
      running(name + " max with taps" + on);
      planes(*pool, [&](int64_t pl) { ks.maxPoolArgmaxPlane(g, x + pl * inPlane, yt.data() + pl * outPlane, taps.data() + pl * outPlane); });
      mxT.ran = tapsR.ran = true;
      mxT.worst.merge(compare(yt, ref.max, t));
      tapsR.worst.merge(compare(taps, ref.maxTaps, t));
      if (!gradFits) continue;
      Output dx(static_cast<size_t>(g.inSize));
      running(name + " max gradient" + on);
      // dx starts as NaN (Output): the kernel must write every cell.
      planes(*pool, [&](int64_t pl) { ks.maxPoolGradPlane(g, c.dy->data() + pl * outPlane, x + pl * inPlane, dx.data() + pl * inPlane); });
      gradOf[in]->ran = true;
      gradOf[in]->worst.merge(compare(dx, ref.maxGrad, t));
      Output dxt(static_cast<size_t>(g.inSize));
      running(name + " max gradient from taps" + on);
      planes(*pool, [&](int64_t pl) { ks.maxPoolGradArgmaxPlane(g, c.dy->data() + pl * outPlane, taps.data() + pl * outPlane, dxt.data() + pl * inPlane); });
      gradT.ran = true;
      gradT.worst.merge(compare(dxt, ref.maxGrad, t));
      Mismatch bits = compare(dxt, ref.maxGrad, t);
      bits.error = 0;
      for (size_t i = 0; i < static_cast<size_t>(g.inSize); i++) {
        if (std::memcmp(dx.data() + i, dxt.data() + i, sizeof(float)) != 0) {
          bits.error = kInf;
          bits.at = i;
          bits.got = dxt.data()[i];
          bits.want = dx.data()[i];
          break;
        }
      }
      gradSame.ran = true;
      gradSame.worst.merge(bits);
    }
    if (gradFits) {
      Output dx(static_cast<size_t>(g.inSize));
      running(name + " max gradient with rows past the input" + on);
      const size_t pastPlane = static_cast<size_t>(past.OH * past.OW);
      planes(*pool, [&](int64_t pl) { ks.maxPoolGradPlane(past, dyPast.data() + pl * pastPlane, c.x->data() + pl * inPlane, dx.data() + pl * inPlane); });
      gradPast.ran = true;
      gradPast.worst.merge(compare(dx, refPast.maxGrad, t));
    }
    for (const PoolGeom* pg : {&c.include, &c.exclude}) {
      // 1 / divisor per output cell, computed as the addon's caller does.
      std::vector<float> inv(outPlane);
      for (int64_t oh = 0; oh < g.OH; oh++)
        for (int64_t ow = 0; ow < g.OW; ow++) inv[static_cast<size_t>(oh * g.OW + ow)] = 1.f / pg->divisor(oh, ow);
      Output y(static_cast<size_t>(g.outSize));
      running(name + (pg->countIncludePad ? " avg counting the pad" : " avg not counting the pad") + on);
      planes(*pool, [&](int64_t pl) { ks.avgPoolPlane(*pg, c.x->data() + pl * inPlane, inv.data(), y.data() + pl * outPlane); });
      OpResult& r = pg->countIncludePad ? avgIn : avgEx;
      r.ran = true;
      r.worst.merge(compare(y, pg->countIncludePad ? c.ref.avgIncludePad : c.ref.avgExcludePad, t));
      Output dx(static_cast<size_t>(g.inSize));
      running(name + (pg->countIncludePad ? " avg gradient counting the pad" : " avg gradient not counting the pad") + on);
      planes(*pool, [&](int64_t pl) { ks.avgPoolGradPlane(*pg, c.dy->data() + pl * outPlane, inv.data(), dx.data() + pl * inPlane); });
      OpResult& rg = pg->countIncludePad ? avgGradIn : avgGradEx;
      rg.ran = true;
      rg.worst.merge(compare(dx, pg->countIncludePad ? c.ref.avgGradIncludePad : c.ref.avgGradExcludePad, t));
    }
  }
  res.ops = {mx, avgIn, avgEx, grad, mxSp, gradSp, mxTies, gradTies, gradPast, avgGradIn, avgGradEx, mxT, tapsR, gradT, gradSame};
  return res;
}

void benchPool(const KernelSet& ks, ThreadPool& pool, const std::string& only, const std::function<double(const std::function<void()>&)>& best) {
  // The ops suite's pools (stridenet-bench --suite ops), ResNet-18's stem pool at batch 2, LeNet-5's pools at
  // batch 256 (its 10x10 planes narrower than 16 lanes) and a global 8x8 average (ResNet-20's head at batch 64).
  const PoolShape shapes[] = {
      {8, 64, 56, 56, 2, 2, 2, 2, 0, 0, 0, 0, false},  {8, 64, 56, 56, 3, 3, 2, 2, 1, 1, 1, 1, false},
      {2, 64, 112, 112, 3, 3, 2, 2, 1, 1, 1, 1, false}, {256, 6, 28, 28, 2, 2, 2, 2, 0, 0, 0, 0, false},
      {256, 16, 10, 10, 2, 2, 2, 2, 0, 0, 0, 0, false}, {64, 64, 8, 8, 8, 8, 8, 8, 0, 0, 0, 0, false},
  };
  for (const PoolShape& s : shapes) {
    const PoolGeom inc = geometry(s, true), exc = geometry(s, false);
    const std::string what = describe(inc, s.ceil);
    if (what.find(only) == std::string::npos) continue;
    const size_t inPlane = static_cast<size_t>(inc.H * inc.W), outPlane = static_cast<size_t>(inc.OH * inc.OW);
    BlockFloats x(static_cast<size_t>(inc.inSize)), dy(static_cast<size_t>(inc.outSize)), y(dy.size()), dx(x.size());
    Rng rng(3);
    fill(x.data(), x.size(), rng);
    fill(dy.data(), dy.size(), rng);
    std::vector<float> inv(outPlane);
    for (int64_t oh = 0; oh < exc.OH; oh++)
      for (int64_t ow = 0; ow < exc.OW; ow++) inv[static_cast<size_t>(oh * exc.OW + ow)] = 1.f / exc.divisor(oh, ow);
    auto planes = [&](const std::function<void(int64_t)>& fn) {
      pool.parallelFor(inc.planes, 1 + (1 << 14) / (inc.OH * inc.OW * inc.WH * inc.WW), [&](int64_t b, int64_t e) {
        for (int64_t pl = b; pl < e; pl++) fn(pl);
      });
    };
    running(std::string(isaName(ks.isa)) + " bench pool " + what);
    const double mx = best([&] { planes([&](int64_t pl) { ks.maxPoolPlane(inc, x.data() + pl * inPlane, y.data() + pl * outPlane); }); });
    const double av = best([&] { planes([&](int64_t pl) { ks.avgPoolPlane(exc, x.data() + pl * inPlane, inv.data(), y.data() + pl * outPlane); }); });
    const double gr = best([&] {
      planes([&](int64_t pl) { ks.maxPoolGradPlane(inc, dy.data() + pl * outPlane, x.data() + pl * inPlane, dx.data() + pl * inPlane); });
    });
    const double ag = best([&] {
      planes([&](int64_t pl) { ks.avgPoolGradPlane(exc, dy.data() + pl * outPlane, inv.data(), dx.data() + pl * inPlane); });
    });
    BlockFloats taps(dy.size());
    const double mt = best([&] {
      planes([&](int64_t pl) { ks.maxPoolArgmaxPlane(inc, x.data() + pl * inPlane, y.data() + pl * outPlane, taps.data() + pl * outPlane); });
    });
    const double gt = best([&] {
      planes([&](int64_t pl) { ks.maxPoolGradArgmaxPlane(inc, dy.data() + pl * outPlane, taps.data() + pl * outPlane, dx.data() + pl * inPlane); });
    });
    std::printf("  %-9s %-7d %-44s %9.3f %9.3f %9.3f %9.3f %9.3f %9.3f\n", isaName(ks.isa), pool.size(), what.c_str(), 1e3 * mx, 1e3 * av, 1e3 * gr, 1e3 * ag,
                1e3 * mt, 1e3 * gt);
    std::fflush(stdout);
  }
}

}  // namespace check
}  // namespace sn
