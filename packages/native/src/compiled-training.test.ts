// Issue 14: compile(model, { mode: 'training' }) trains every zoo model as the eager model does (3 steps, losses and weights within 1e-3).
import { runCompiledTrainingConformance } from '@stridenet/conformance';
import { createNativeBackend } from './index.js';

runCompiledTrainingConformance('native', () => createNativeBackend({ threads: 2 }));
