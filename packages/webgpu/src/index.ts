export { createWebGpuBackend, WebGpuBackend, type WebGpuBackendOptions, type FeatureLevel } from './backend.js';
export { WebGpuTensor, sizeClass } from './runtime.js';
export { kernels } from './kernels/index.js';
