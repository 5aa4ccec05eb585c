export { createNativeBackend, nativeAvailable, nativeIsas, type NativeBackend, type NativeBackendOptions, type NativeDispatch } from './backend.js';
export { nativeBinary, type NativeBinary, type NativeIsa } from './addon.js';
export { kernels } from './kernels/index.js';
export type { NativeHandle } from './handle.js';
export { startNativeTrace, stopNativeTrace, type NativeTraceEvent } from './trace.js';
