// The shared conformance suite, twice: with the AVX-512 direct convolutions where this CPU has them
// (the default), and on the AVX2/FMA GEMM path every x86-64 CPU takes otherwise. No case is filtered.
import { runConformance } from '@stridenet/conformance';
import { createNativeBackend } from './index.js';

runConformance(() => createNativeBackend({ threads: 2 }));
runConformance(() => createNativeBackend({ threads: 2, avx512: false }), { label: 'native-gemm', capabilityDir: process.env.STRIDENET_CAPABILITY_DIR ?? false });
