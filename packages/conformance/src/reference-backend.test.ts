// The suite run on its own float64 oracle: every check must pass (this is also what proves the
// reference agrees with PyTorch's golden outputs and with finite differences).
import { runConformance } from './run.js';
import { createReferenceBackend } from './reference/backend.js';

runConformance(() => createReferenceBackend(), {
  capabilityDir: process.env.STRIDENET_CAPABILITY_DIR ?? false,
});
