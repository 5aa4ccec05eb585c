import { WebGpuHandle } from './runtime.js';

export { createWebGpuBackend, WebGpuBackend, type WebGpuBackendOptions, type FeatureLevel } from './backend.js';
export { WebGpuHandle, sizeClass } from './runtime.js';
export { kernels } from './kernels/index.js';

/** @deprecated Renamed to `WebGpuHandle`, like `CpuHandle`, `WasmHandle` and `NativeHandle`; the alias goes in the next minor release. */
export const WebGpuTensor = WebGpuHandle;
/** @deprecated Renamed to `WebGpuHandle`. */
export type WebGpuTensor = WebGpuHandle;
