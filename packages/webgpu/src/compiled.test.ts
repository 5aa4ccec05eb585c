// Issue 14: compile(model, { mode: 'inference' }) gives eager's logits within 1e-5 relative for every zoo model.
import { runCompiledConformance } from '@stridenet/conformance';
import { createTestBackend } from './testing/backend.js';

runCompiledConformance('webgpu', () => createTestBackend());
