// ISA fragment (see README.md): which direct algorithm runs for a geometry, and the KernelSet entries.
// forwardConv is declared before backprop-input.inl (which calls it) by the including isa/<isa>.cc.

/** A forward convolution by the best direct kernel for its shape: depthwise, Winograd or tiled. */
void forwardConv(const ConvGeom& g, const float* x, const FilterRef& w, const float* bias, bool relu, float* y, ThreadPool& pool) {
  if (g.Cg == 1 && g.Og == 1) {
    depthwiseForward(g, x, w.weights(), bias, relu, y, pool);
    return;
  }
  if (winogradFits(g)) {
    winogradForward(g, x, w, bias, relu, y, pool);
    return;
  }
  const int MR = pickForwardMR(g.Og);
  const FilterCache::Packed ap = w.packed(layoutKey({2, g.G, g.Og, g.Kdim, MR}), static_cast<size_t>(packedFilterFloats(g, MR)),
                                          [&](const float* raw, float* out) { packFilter(g, raw, MR, out); });
  forwardTiled(g, x, ap->data(), MR, bias, relu, y, pool);
}

bool forwardFits(const ConvGeom& g) { return g.Og >= 4 || g.Og <= 2; }

bool backpropInputFits(const ConvGeom& g) { return g.Cg >= 4 || g.Cg <= 2; }

bool backpropFilterFits(const ConvGeom& g) { return (g.Og >= 8 && g.Kdim >= kFilterMR) || g.Cg == 1; }

void backpropFilter(const ConvGeom& g, const float* x, const float* dy, float* dw, ThreadPool& pool) {
  if (g.Cg == 1 && !(g.Og >= 8 && g.Kdim >= kFilterMR)) {
    depthwiseFilterGrad(g, x, dy, dw, pool);
    return;
  }
  tiledFilterGrad(g, x, dy, dw, pool);
}
