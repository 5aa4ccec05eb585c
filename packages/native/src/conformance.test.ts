// The shared conformance suite, twice: with the AVX-512 direct convolutions where this CPU has them
// (the default), and on the AVX2/FMA GEMM path every x86-64 CPU takes otherwise. No case is filtered.
//
// STRIDENET_NATIVE_VARIANTS (comma-separated, default "native,native-gemm") picks which of the two
// run. Off x86-64 both take the same portable path, so scripts/test-arm64.mjs sets it to "native".
import { runConformance } from '@stridenet/conformance';
import { createNativeBackend } from './index.js';

const variants: Record<string, () => void> = {
  native: () => runConformance(() => createNativeBackend({ threads: 2 })),
  'native-gemm': () =>
    runConformance(() => createNativeBackend({ threads: 2, avx512: false }), {
      label: 'native-gemm',
      capabilityDir: process.env.STRIDENET_CAPABILITY_DIR ?? false,
    }),
};

const selected = (process.env.STRIDENET_NATIVE_VARIANTS ?? Object.keys(variants).join(','))
  .split(',')
  .map((v) => v.trim())
  .filter((v) => v !== '');
const unknown = selected.filter((v) => !Object.hasOwn(variants, v));
if (selected.length === 0 || unknown.length > 0) {
  throw new Error(
    `STRIDENET_NATIVE_VARIANTS='${process.env.STRIDENET_NATIVE_VARIANTS}': ` +
      `${unknown.length > 0 ? `unknown ${unknown.join(', ')}` : 'empty'}; use a comma-separated list of ${Object.keys(variants).join(', ')}`,
  );
}
for (const v of new Set(selected)) variants[v]!();
