export { createCpuBackend, type CpuHandle } from './backend.js';
export { kernels } from './kernels/index.js';
export { gemm, view, type GemmEpilogue, type MatrixView } from './gemm.js';
