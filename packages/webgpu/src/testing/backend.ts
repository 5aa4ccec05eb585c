import { createWebGpuBackend, type WebGpuBackend } from '../backend.js';

/**
 * The backend the tests run on. Without options it takes the default adapter (a GPU, or lavapipe
 * after scripts/setup-ci.sh); STRIDENET_WEBGPU_DAWN_FLAGS / STRIDENET_WEBGPU_FEATURE_LEVEL select
 * another Dawn set-up (e.g. backend=opengles + compatibility).
 */
export function createTestBackend(): Promise<WebGpuBackend> {
  return createWebGpuBackend();
}
