export { createWasmBackend, type WasmBackend, type WasmBackendOptions } from './backend.js';
export { kernels } from './kernels/index.js';
export { WasmHandle } from './runtime.js';
