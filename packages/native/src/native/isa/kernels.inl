// Shared body of src/native/isa/<isa>.cc: compiles every vector kernel for the ISA description S and
// defines the KernelSet kSet. Included inside the ISA's target region (see ../simd/simd.h), after the
// standard headers (isa-prelude.h), so that only this code is compiled for that ISA.
namespace sn {
namespace {

// clang-format off
#include "eight-lanes.inl"
#include "../conv/slab.inl"
void forwardConv(const ConvGeom& g, const float* x, const FilterRef& w, const float* bias, const float* residual, bool relu, float* y,
                 ThreadPool& pool);
#include "../conv/forward.inl"
#include "../conv/forward-channels.inl"
#include "../conv/forward-channels-s2.inl"
#include "../conv/forward-single-channel.inl"
#include "../conv/winograd.inl"
#include "../conv/winograd-shared.inl"
#include "../conv/winograd-f4.inl"
#include "../conv/winograd-f4-fused.inl"
#include "../conv/winograd-s2.inl"
#include "../conv/winograd-stem.inl"
#include "../conv/depthwise-3x3.inl"
#include "../conv/depthwise-3x3-filter-grad.inl"
#include "../conv/depthwise.inl"
#include "../conv/filter-grad.inl"
#include "../conv/filter-grad-positions.inl"
#include "../conv/winograd-filter-grad.inl"
#include "../conv/winograd-filter-grad-s2.inl"
#include "../conv/winograd-filter-grad-stem.inl"
#include "../conv/backprop-input-channels.inl"
#include "../conv/winograd-backprop-input-s2.inl"
#include "../conv/backprop-input.inl"
#include "dots.inl"
#include "lanes.inl"
#include "../conv/few-positions.inl"
#include "../conv/dispatch.inl"
#include "../pool/planes.inl"
#include "../pool/window3s2.inl"
#include "../pool/pairs-grad.inl"
#include "../pool/grad.inl"
#include "../pool/window3s2-grad.inl"
#include "../pool/argmax.inl"
#include "../pool/argmax-ordered.inl"
#include "../pool/grad-argmax.inl"
#include "../pool/avg-grad.inl"
#include "../pool/dispatch.inl"
#include "../kernels/batch-norm.inl"
#include "../kernels/mat-mul-few-rows.inl"
// clang-format on

const KernelSet kSet = {
    kIsa,          forwardFits,  backpropInputFits, backpropFilterFits, forwardConv,
    backpropInput, backpropFilter, maxPoolPlaneFor, avgPoolPlaneFor,   maxPoolGradPlaneFor, avgPoolGradPlaneFor,
    bnMoments,     bnNormalize,    bnGradSums,      bnGradApply,      winogradFits,   winogradF4Fits,
    maxPoolArgmaxPlane, maxPoolGradArgmaxPlaneFor, gemmFewRows,
};

}  // namespace
}  // namespace sn
