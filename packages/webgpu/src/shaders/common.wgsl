// Helpers every shader may call: prepended, with the generated constants (generated/spec.wgsl), to each
// shader by GpuRuntime when it compiles the module (WGSL has no include). Only functions of their
// arguments live here: a shader's bindings, Params struct and workgroup arrays stay in its own file.

// Bit test, because comparisons with NaN may be folded away by shader compilers (Mesa GL treats a
// comparison with NaN as true).
fn isNan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// -inf from a private variable: a constant-expression bitcast to an infinity is rejected by WGSL.
var<private> NEG_INF_BITS: u32 = 0xff800000u;

fn negInf() -> f32 {
  return bitcast<f32>(NEG_INF_BITS);
}

// Tree reductions across the first `threads` (a power of two, at most 256) threads of a workgroup;
// every thread gets the result. Each reduction takes its own workgroup array, so no reduction's reads
// race the next one's writes (Mesa's GL path showed exactly that race when one array was reused).
fn reduceSum(partial: ptr<workgroup, array<f32, 256>>, lid: u32, v: f32, threads: u32) -> f32 {
  (*partial)[lid] = v;
  workgroupBarrier();
  for (var step = threads / 2u; step > 0u; step >>= 1u) {
    if (lid < step) { (*partial)[lid] += (*partial)[lid + step]; }
    workgroupBarrier();
  }
  return (*partial)[0];
}

// Max that propagates NaN.
fn reduceMax(partial: ptr<workgroup, array<f32, 256>>, lid: u32, v: f32, threads: u32) -> f32 {
  (*partial)[lid] = v;
  workgroupBarrier();
  for (var step = threads / 2u; step > 0u; step >>= 1u) {
    if (lid < step) {
      let a = (*partial)[lid];
      let b = (*partial)[lid + step];
      if (isNan(b) || b > a) { (*partial)[lid] = b; }
    }
    workgroupBarrier();
  }
  return (*partial)[0];
}
