/**
 * A tensor buffer living in native memory. Opaque: the addon checks its type tag on every call, so a
 * forged, foreign or freed handle raises a JavaScript error instead of reaching C++ code.
 */
export interface NativeHandle {
  readonly __stridenetNativeHandle: unique symbol;
}

/** One backend instance in the addon: its thread pool and command queue. */
export interface NativeRuntime {
  readonly __stridenetNativeRuntime: unique symbol;
}
