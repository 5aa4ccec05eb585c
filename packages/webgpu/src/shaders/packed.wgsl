// Opt-in prelude for the packed-layout shaders (DispatchSpec.prelude 'packed', and under
// gather.wgsl): their parameters are a plan's encoded int32 words followed by any extra words, packed four
// to a vec4 because uniform arrays need 16-byte elements. GpuRuntime appends this after the common
// prelude, so word offsets come from the generated *_RANK / *_LENGTH constants (generated/spec.wgsl).

// The whole 256-byte uniform block that GpuRuntime binds at 0 (UNIFORM_BYTES / 16 vec4s).
struct Params {
  e: array<vec4<i32>, 16>,
}

@group(0) @binding(0) var<uniform> p: Params;

// Parameter word k.
fn word(k: i32) -> i32 {
  return p.e[k / 4][k % 4];
}

// Parameter word k written as an f32 (DispatchSpec.floats follow the int words).
fn wordF32(k: i32) -> f32 {
  return bitcast<f32>(word(k));
}
