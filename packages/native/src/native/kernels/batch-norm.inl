// ISA fragment (included by src/native/isa/kernels.inl with S the ISA description): the loops of
// BatchNormTrain and BatchNormGrad over the rows of one channel (BnRows, isa.h). Every sum and every
// intermediate value is a double (S::D lanes, several independent accumulators per sum); only the stored
// y and dx are rounded to float. Pieces shorter than a double vector run the same formulas in scalar
// double. Results depend on the rows given, never on the thread that runs them.

/** Two double sums, each over 4 independent vector accumulators plus a scalar one for short pieces. */
struct BnSums {
  S::D a[4], q[4];
  double ta = 0, tq = 0;
  // Written out (not member initialisers): an implicit constructor would not be compiled for the ISA.
  BnSums() {
    for (int u = 0; u < 4; u++) a[u] = q[u] = S::dzero();
  }
  /** s[0] = first sum, s[1] = second, lanes added in a fixed order. */
  void finish(double* s) const {
    s[0] = S::dreduceAdd(S::dadd(S::dadd(a[0], a[1]), S::dadd(a[2], a[3]))) + ta;
    s[1] = S::dreduceAdd(S::dadd(S::dadd(q[0], q[1]), S::dadd(q[2], q[3]))) + tq;
  }
};

/** f(std::bool_constant<a>, std::bool_constant<b>): one loop body per combination of two options. */
template <typename F>
SN_INLINE void bnWith(bool a, bool b, F f) {
  if (a) {
    if (b) f(std::true_type{}, std::true_type{});
    else f(std::true_type{}, std::false_type{});
  } else {
    if (b) f(std::false_type{}, std::true_type{});
    else f(std::false_type{}, std::false_type{});
  }
}

/**
 * The row `ahead` rows on from `row` (the last row where none is): a channel's rows lie a channel plane apart, a page or
 * more at 32x32 and up to 256 bytes at 8x8, so the hardware prefetchers restart on each; the first pass over a block
 * fetches the row about 2 KiB of work ahead while it sums this one (rows of 512 floats and more: the next), and the
 * residual's alike. In a training step the tensors come from memory: Zen 5, avx2 path, 1 thread, bench/batch-norm-shapes.ts
 * --cold --isa=avx2 (ResNet-20's three b32 shapes, sums over the step's 21 calls), 3 interleaved rounds against the
 * build before, load ~10: BatchNormTrain (residual + relu) 9.8-14.1 -> 6.2-6.6 ms, BatchNormGrad (relu mask) 9.2-13.9 ->
 * 7.7-8.3 ms.
 */
SN_INLINE int64_t bnAhead(const BnRows& r) { return std::max<int64_t>(1, 512 / std::max<int64_t>(r.len, 1)); }
/** Floats from row `row` to the row `ahead` rows on (0 on the last row). */
SN_INLINE int64_t bnNextOffset(const BnRows& r, int64_t row, int64_t ahead) { return (std::min(row + ahead, r.rows - 1) - row) * r.stride; }
/** Fetches the cache lines of p[i .. i + n) (n a multiple of 16 or under it). */
template <int n>
SN_INLINE void bnFetch(const float* p) {
#pragma GCC unroll 4
  for (int k = 0; k < n; k += 16) SN_PREFETCH(p + k);
}

/** s[0] = sum (x - shift), s[1] = sum (x - shift)^2. */
void bnMoments(const BnRows& r, const float* x, double shift, double* s) {
  constexpr int H = S::ND;
  const S::D vs = S::dset1(shift);
  BnSums acc;
  const int64_t ahead = bnAhead(r);
  for (int64_t row = 0; row < r.rows; row++) {
    const float* p = x + row * r.stride;
    const int64_t next = bnNextOffset(r, row, ahead);
    int64_t i = 0;
    for (; i + 4 * H <= r.len; i += 4 * H) {
      bnFetch<4 * H>(p + next + i);
      for (int u = 0; u < 4; u++) {
        const S::D t = S::dsub(S::dload(p + i + u * H), vs);
        acc.a[u] = S::dadd(acc.a[u], t);
        acc.q[u] = S::dfma(t, t, acc.q[u]);
      }
    }
    for (; i + H <= r.len; i += H) {
      const S::D t = S::dsub(S::dload(p + i), vs);
      acc.a[0] = S::dadd(acc.a[0], t);
      acc.q[0] = S::dfma(t, t, acc.q[0]);
    }
    for (; i < r.len; i++) {
      const double t = p[i] - shift;
      acc.ta += t;
      acc.tq += t * t;
    }
  }
  acc.finish(s);
}

/**
 * y = act((x - mean) * scale + beta + residual); residual (or null) has x's layout; relu keeps NaN. The
 * normalised value is rounded to float before the residual is added (the float sum, exactly: double
 * holds it), so the fused kernel gives the bits of BatchNormTrain, then Binary add, then relu. That sum and
 * the relu run in float lanes (S::dstoreAdd), and the gradients' relu mask before widening (S::dloadPos): on
 * the avx2 path conversions bound these loops. Zen 5, 1 thread, bench/batch-norm-shapes.ts --isa=avx2 (tensors
 * in cache), 4 interleaved rounds, load 12-16, sums over the step's 21 calls: BatchNormTrain 3.85-5.44 -> 3.18-3.43
 * ms, BatchNormGrad 3.75-5.52 -> 3.92-4.02; avx512 (3 rounds) 3.62-3.90 -> 2.54-3.58 and 4.43-4.64 -> 3.14-4.11.
 */
void bnNormalize(const BnRows& r, const float* x, const float* residual, bool relu, const BnAffine& k, float* y) {
  constexpr int H = S::ND;
  const S::D vm = S::dset1(k.mean), vs = S::dset1(k.scale), vb = S::dset1(k.beta), zero = S::dzero();
  const int64_t ahead = bnAhead(r);
  bnWith(residual != nullptr, relu, [&](auto hasRes, auto hasRelu) {
    for (int64_t row = 0; row < r.rows; row++) {
      const float* p = x + row * r.stride;
      const float* q = hasRes ? residual + row * r.stride : nullptr;
      const int64_t next = bnNextOffset(r, row, ahead);
      float* out = y + row * r.stride;
      int64_t i = 0;
      for (; i + H <= r.len; i += H) {
        // The residual is read here first (x was read by bnMoments).
        if (hasRes && i % 16 == 0) SN_PREFETCH(q + next + i);
        S::D v = S::dfma(S::dsub(S::dload(p + i), vm), vs, vb);
        if (hasRes) {
          S::dstoreAdd(out + i, v, q + i, hasRelu);
          continue;
        }
        if (hasRelu) v = S::dmax(zero, v);
        S::dstore(out + i, v);
      }
      for (; i < r.len; i++) {
        double v = (p[i] - k.mean) * k.scale + k.beta;
        if (hasRes) v = static_cast<double>(static_cast<float>(v)) + q[i];
        out[i] = static_cast<float>(hasRelu && v < 0 ? 0.0 : v);
      }
    }
  });
}

/** s[0] = sum g, s[1] = sum g * (x - mean), with g = dy, or dy where y > 0 (a fused relu) when y is given. */
void bnGradSums(const BnRows& r, const float* dy, const float* x, const float* y, double mean, double* s) {
  constexpr int H = S::ND;
  const S::D vm = S::dset1(mean);
  BnSums acc;
  const int64_t ahead = bnAhead(r);
  bnWith(y != nullptr, false, [&](auto masked, auto) {
    for (int64_t row = 0; row < r.rows; row++) {
      const float* g = dy + row * r.stride;
      const float* p = x + row * r.stride;
      const float* m = masked ? y + row * r.stride : nullptr;
      const int64_t next = bnNextOffset(r, row, ahead);
      const auto grad = [&](int64_t j) { return masked ? S::dloadPos(m + j, g + j) : S::dload(g + j); };
      int64_t i = 0;
      for (; i + 4 * H <= r.len; i += 4 * H) {
        bnFetch<4 * H>(g + next + i);
        bnFetch<4 * H>(p + next + i);
        if (masked) bnFetch<4 * H>(m + next + i);
        for (int u = 0; u < 4; u++) {
          const S::D d = grad(i + u * H);
          acc.a[u] = S::dadd(acc.a[u], d);
          acc.q[u] = S::dfma(d, S::dsub(S::dload(p + i + u * H), vm), acc.q[u]);
        }
      }
      for (; i + H <= r.len; i += H) {
        const S::D d = grad(i);
        acc.a[0] = S::dadd(acc.a[0], d);
        acc.q[0] = S::dfma(d, S::dsub(S::dload(p + i), vm), acc.q[0]);
      }
      for (; i < r.len; i++) {
        const double d = masked && !(m[i] > 0) ? 0.0 : g[i];
        acc.ta += d;
        acc.tq += d * (p[i] - mean);
      }
    }
  });
  acc.finish(s);
}

/** dx = a * g + (b * (x - mean) + c), g as in bnGradSums. */
void bnGradApply(const BnRows& r, const float* dy, const float* x, const float* y, const BnGradCoef& k, float* dx) {
  constexpr int H = S::ND;
  const S::D va = S::dset1(k.a), vb = S::dset1(k.b), vm = S::dset1(k.mean), vc = S::dset1(k.c);
  bnWith(y != nullptr, false, [&](auto masked, auto) {
    for (int64_t row = 0; row < r.rows; row++) {
      const float* g = dy + row * r.stride;
      const float* p = x + row * r.stride;
      const float* m = masked ? y + row * r.stride : nullptr;
      float* out = dx + row * r.stride;
      int64_t i = 0;
      for (; i + H <= r.len; i += H) {
        const S::D d = masked ? S::dloadPos(m + i, g + i) : S::dload(g + i);
        S::dstore(out + i, S::dfma(va, d, S::dfma(vb, S::dsub(S::dload(p + i), vm), vc)));
      }
      for (; i < r.len; i++) {
        const double d = masked && !(m[i] > 0) ? 0.0 : g[i];
        out[i] = static_cast<float>(k.a * d + (k.b * (p[i] - k.mean) + k.c));
      }
    }
  });
}
