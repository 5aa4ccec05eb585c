// The shared conformance suite on this backend (lavapipe or a real GPU in Node), every case.
import { runConformance } from '@stridenet/conformance';
import { createTestBackend } from './testing/backend.js';

runConformance(() => createTestBackend(), {
  capabilityDir: process.env.STRIDENET_CAPABILITY_DIR ?? false,
  timeout: 120_000,
});
