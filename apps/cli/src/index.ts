export { main } from './main.js';
export { trainCommand, type TrainFlags } from './commands/train.js';
export { renderReport, type ReportData, type EpochRecord, type Misclassified } from './report.js';
export { resolveBackend, probeBackend, BACKEND_NAMES, recommendationFile, type BackendName, type BackendProbe } from './backends.js';
export { resolveConfig, DEFAULTS, type TrainConfig } from './config.js';
export { EXIT, UsageError } from './errors.js';
