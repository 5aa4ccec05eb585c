export * from './optimizers.js';
export * from './schedules.js';
export * from './losses.js';
export * from './metrics.js';
export * from './fit.js';
export * from './divergence.js';
export * from './finite.js';
