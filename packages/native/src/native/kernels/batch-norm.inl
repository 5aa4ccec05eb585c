// ISA fragment (included by src/native/isa/kernels.inl with S the ISA description): the per-block
// loops of BatchNormTrain and BatchNormGrad. The callers (kernels/batch-norm-*.cc) walk channel planes
// in blocks that stay in L1, so the second sweep over a block reads cache, and combine the block
// results in double; inside a block 4 x N float accumulators keep each partial sum short.

/** Sum of x[0..n) and, around m, sum of (x - m) and of (x - m)^2, each over 4 x N float lanes. */
SN_INLINE void blockSums(const float* x, int64_t n, float m, float& s1, float& s2) {
  constexpr int N = S::N;
  const S::V vm = S::set1(m);
  S::V a0 = S::zero(), a1 = S::zero(), b0 = S::zero(), b1 = S::zero();
  int64_t i = 0;
  for (; i + 2 * N <= n; i += 2 * N) {
    const S::V t0 = S::sub(S::load(x + i), vm), t1 = S::sub(S::load(x + i + N), vm);
    a0 = S::add(a0, t0);
    a1 = S::add(a1, t1);
    b0 = S::fma(t0, t0, b0);
    b1 = S::fma(t1, t1, b1);
  }
  float r1 = S::reduceAdd(S::add(a0, a1)), r2 = S::reduceAdd(S::add(b0, b1));
  for (; i < n; i++) {
    const float t = x[i] - m;
    r1 += t;
    r2 += t * t;
  }
  s1 = r1;
  s2 = r2;
}

/** Mean of block x[0..n) and its sum of squared deviations (shifted by a first-pass mean, corrected). */
void bnBlockMoments(const float* x, int64_t n, double* mean, double* m2) {
  float s0, q0;
  blockSums(x, n, 0.f, s0, q0);
  const float m = s0 / static_cast<float>(n);
  float d, q;
  blockSums(x, n, m, d, q);
  // sum (x - mean)^2 = sum (x - m)^2 - (sum (x - m))^2 / n, exact for any shift m.
  const double dd = static_cast<double>(d);
  *mean = m + dd / static_cast<double>(n);
  const double v = static_cast<double>(q) - dd * dd / static_cast<double>(n);
  *m2 = v > 0 ? v : 0;
}

/** y = (x - mean) * scale + beta over n floats (x - mean first: no cancellation when |mean| >> std). */
void bnNormalize(const float* x, int64_t n, float mean, float scale, float beta, float* y) {
  constexpr int N = S::N;
  const S::V vm = S::set1(mean), vs = S::set1(scale), vb = S::set1(beta);
  int64_t i = 0;
  for (; i + N <= n; i += N) S::store(y + i, S::fma(S::sub(S::load(x + i), vm), vs, vb));
  for (; i < n; i++) y[i] = (x[i] - mean) * scale + beta;
}

/** sum dy and sum dy * (x - mean) over n floats. */
void bnGradSums(const float* dy, const float* x, int64_t n, float mean, float* sdy, float* sdyx) {
  constexpr int N = S::N;
  const S::V vm = S::set1(mean);
  S::V a0 = S::zero(), a1 = S::zero(), b0 = S::zero(), b1 = S::zero();
  int64_t i = 0;
  for (; i + 2 * N <= n; i += 2 * N) {
    const S::V g0 = S::load(dy + i), g1 = S::load(dy + i + N);
    a0 = S::add(a0, g0);
    a1 = S::add(a1, g1);
    b0 = S::fma(g0, S::sub(S::load(x + i), vm), b0);
    b1 = S::fma(g1, S::sub(S::load(x + i + N), vm), b1);
  }
  float r1 = S::reduceAdd(S::add(a0, a1)), r2 = S::reduceAdd(S::add(b0, b1));
  for (; i < n; i++) {
    r1 += dy[i];
    r2 += dy[i] * (x[i] - mean);
  }
  *sdy = r1;
  *sdyx = r2;
}

/** dx = a * dy + b * (x - mean) + c over n floats. */
void bnGradApply(const float* dy, const float* x, int64_t n, float a, float b, float mean, float c, float* dx) {
  constexpr int N = S::N;
  const S::V va = S::set1(a), vb = S::set1(b), vm = S::set1(mean), vc = S::set1(c);
  int64_t i = 0;
  for (; i + N <= n; i += N) S::store(dx + i, S::fma(va, S::load(dy + i), S::fma(vb, S::sub(S::load(x + i), vm), vc)));
  for (; i < n; i++) dx[i] = a * dy[i] + (b * (x[i] - mean) + c);
}
