export { createNativeBackend, nativeAvailable, type NativeBackend, type NativeBackendOptions } from './backend.js';
export { kernels } from './kernels/index.js';
export type { NativeHandle } from './handle.js';
