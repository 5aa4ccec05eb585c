// ResNet-20 b64's three stride-1 3x3 layer shapes (16 -> 16 at 32x32, 32 -> 32 at 16x16, 64 -> 64 at 8x8) as eager inference
// calls (no tape: Conv2D noGrad, so F(4x4, 3x3) on 8 lanes) with bias, residual and relu: process CPU ms per call
// (min, 25th percentile, median of 35 after 5 warm-up) and wall ms. Builds compare by alternating processes with
// STRIDENET_NATIVE_ADDON=<file.node>; TAG labels the line.
// Run: pnpm exec tsx --conditions @stridenet/source bench/resnet20-layers.ts [--threads N] [--isa=avx512|avx2|neon|portable]
import { conv2d, setBackend, tensor, Rng } from '@stridenet/core';
import { createNativeBackend } from '../src/index.js';
import { isaArg } from './common.js';
const threads = process.argv.includes('--threads') ? Number(process.argv[process.argv.indexOf('--threads') + 1]) : 1;
const isa = isaArg() ?? 'auto';
const be = await createNativeBackend({ threads, isa });
await setBackend(be);
const rng = new Rng(3);
const out: string[] = [];
for (const [c, hw] of [[16, 32], [32, 16], [64, 8]] as const) {
  const xs = [0, 1, 2].map(() => tensor(rng.normal(64 * c * hw * hw), [64, c, hw, hw]));
  const w = tensor(rng.normal(c * c * 9).map((v) => v * 0.1), [c, c, 3, 3]);
  const b = tensor(rng.normal(c), [c]);
  const cpu: number[] = [], wall: number[] = [];
  for (let i = 0; i < 40; i++) {
    const c0 = process.cpuUsage(); const t0 = performance.now();
    const y = conv2d(xs[i % 3]!, w, { padding: 'same', bias: b, residual: xs[(i + 1) % 3]!, activation: 'relu' });
    be.finish!();
    const d = process.cpuUsage(c0); const dt = performance.now() - t0;
    if (i >= 5) { cpu.push((d.user + d.system) / 1e3); wall.push(dt); }
    y.dispose();
  }
  cpu.sort((p, q) => p - q); wall.sort((p, q) => p - q);
  out.push(`${c}x${hw}x${hw} min ${cpu[0]!.toFixed(3)} p25 ${cpu[cpu.length >> 2]!.toFixed(3)} med ${cpu[cpu.length >> 1]!.toFixed(3)} wall min ${wall[0]!.toFixed(3)} p25 ${wall[wall.length >> 2]!.toFixed(3)}`);
}
console.log(`${process.env.TAG ?? ''} ${be.isa} ${threads}T | ${out.join(' | ')}`);
