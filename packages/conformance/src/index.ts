export { runConformance, type ConformanceOptions, type CheckInfo } from './run.js';
export { allChecks } from './checks.js';
export * from './cases/index.js';
export * as reference from './reference/index.js';
export { createReferenceBackend, type ReferenceBackend, type ReferenceBackendOptions, type ReferenceHandle } from './reference/backend.js';
export { goldenCases, GOLDEN_TORCH_VERSION, type GoldenCase, type GoldenTensor } from './golden/index.js';
export { compare, expectClose, observeErrors, ToleranceError, type Comparison } from './harness/compare.js';
export { uniform, distinct, awayFromZero, seedOf, sizeOf } from './harness/data.js';
export { directionalCheck, type DirectionalCheck, type DirectionalResult } from './harness/gradcheck.js';
export { KernelSession, LeakError, liveMemory } from './harness/session.js';
export type { Check, KernelUse } from './harness/check.js';
export {
  CapabilityRecorder,
  capabilityMarkdown,
  writeCapability,
  statusCell,
  mergeCapabilityMarkdown,
  type CapabilityEntry,
  type CapabilityReport,
  type CapabilityRow,
  type CapabilityStatus,
} from './harness/capability.js';
export {
  trainingCheck,
  classifierRun,
  expectTrainingAgreement,
  type TrainingRun,
  type TrainableModel,
  type TrainingRunContext,
  type ClassifierRunOptions,
  type TrainingCheckOptions,
  type TrainingCheckReport,
} from './training.js';
export { compiledCheck, expectCompiledAgreement, runCompiledConformance, COMPILED_CASES, type CompiledCase, type CompiledResult } from './compiled.js';
export { compiledTrainingCheck, expectCompiledTrainingAgreement, runCompiledTrainingConformance, type CompiledTrainingResult } from './compiled-training.js';
