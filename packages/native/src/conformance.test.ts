// The shared conformance suite on every ISA path this CPU runs (avx512, avx2, neon, portable: one kernel
// design compiled for each), so each path is checked wherever it can run. No case is filtered.
import { runConformance } from '@stridenet/conformance';
import { createNativeBackend, nativeIsas } from './index.js';

for (const isa of nativeIsas()) {
  runConformance(() => createNativeBackend({ threads: 2, isa }), {
    label: `native-${isa}`,
    capabilityDir: process.env.STRIDENET_CAPABILITY_DIR ?? false,
  });
}
