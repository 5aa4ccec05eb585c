export * from './errors.js';
export { checkOptionKeys, optionKeys } from './options.js';
export * from './spec/index.js';
export * from './plans/common.js';
export * from './plans/conv2d.js';
export * from './plans/pool2d.js';
export * from './plans/matmul.js';
export * from './plans/elementwise.js';
export * from './plans/layout.js';
export * from './plans/tensor-list.js';
export * from './random/philox.js';
export {
  registerBackend,
  listBackends,
  backendEntry,
  startBackend,
  startAutoBackend,
  probeBackend,
  KNOWN_BACKEND_NAMES,
  type KnownBackendName,
  type BackendEntry,
  type BackendProbe,
  type AutoChoice,
  type PackageImporter,
  type StartBackendOptions,
} from './backend-registry.js';
export {
  Tensor,
  engine,
  setBackend,
  getBackend,
  memory,
  tidy,
  keep,
  type MemoryReport,
} from './engine.js';
export * from './ops/index.js';
export { valueAndGrads, grads, noGrad, type ValueAndGrads } from './autograd/tape.js';
export * from './layers/index.js';
export * from './models/index.js';
export * from './train/index.js';
export * from './io/index.js';
export * from './models/types.js';
export * from './compile/index.js';
