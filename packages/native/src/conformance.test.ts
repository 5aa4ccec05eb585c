import { runConformance } from '@stridenet/conformance';
import { createNativeBackend } from './index.js';

runConformance(() => createNativeBackend({ threads: 2 }));
