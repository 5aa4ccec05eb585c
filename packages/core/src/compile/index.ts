export { compile, CompiledModel, type CompileOptions, type MemoryProfile } from './compiled-model.js';
export { CompiledTrainingModel } from './training-model.js';
export { foldBatchNorm, type BatchNormStats, type FoldedWeights } from './fold.js';
export { planInference, INPUT_VALUE, type ExecutionPlan, type FusedStep, type LayerStep, type PlanNode, type Step } from './plan.js';
export { planTraining, type TrainingFusedStep, type TrainingPlan, type TrainingStep } from './plan-training.js';
export { sampleBytes, sliceRule, sliceSize, WHOLE_BATCHES, type SampleBytes, type SliceRule } from './slicing.js';
