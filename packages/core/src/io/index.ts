export * from './safetensors.js';
export * from './weights.js';
export * from './checkpoint.js';
export * from './architecture.js';
export * from './state-dict.js';
