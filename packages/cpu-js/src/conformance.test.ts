import { runConformance } from '@stridenet/conformance';
import { createCpuBackend } from './index.js';

// Every case, none filtered: cpu-js is the reference the other backends are held to.
runConformance(() => createCpuBackend());
