// The shared conformance suite, run twice: over the worker pool (every kernel split across threads,
// however small) and on the single-threaded build. No case is filtered.
import { runConformance } from '@stridenet/conformance';
import { createWasmBackend } from './index.js';

const capabilityDir = process.env.STRIDENET_CAPABILITY_DIR ?? false;

runConformance(() => createWasmBackend({ threads: 4, minParallelWork: 0 }), { label: 'wasm-threads', capabilityDir });
runConformance(() => createWasmBackend({ threads: 1 }), { label: 'wasm-single', capabilityDir });
