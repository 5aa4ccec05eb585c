// Issue 14: compile(model, { mode: 'training' }) trains every zoo model as the eager model does (3 steps, losses and weights within 1e-3).
import { runCompiledTrainingConformance } from '@stridenet/conformance';
import { createCpuBackend } from './index.js';

runCompiledTrainingConformance('cpu-js', () => createCpuBackend());
