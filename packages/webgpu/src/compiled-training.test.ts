// Issue 14: compile(model, { mode: 'training' }) trains as the eager model does (3 steps, losses and weights within
// 1e-3). Three models, not the whole zoo: the tests also run on a CPU renderer, where the zoo takes far too long.
// LeNet-5 (conv and dense epilogues), CCPCCP (batch norm + ReLU, 1D and 2D, dropout) and ResNet-20 (residual adds).
import { COMPILED_CASES, runCompiledTrainingConformance } from '@stridenet/conformance';
import { createTestBackend } from './testing/backend.js';

const cases = COMPILED_CASES.filter((c) => ['lenet5', 'ccpccp', 'resnet20'].includes(c.model));
runCompiledTrainingConformance('webgpu', () => createTestBackend(), { cases });
