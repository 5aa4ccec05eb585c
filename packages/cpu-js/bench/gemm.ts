/**
 * GEMM micro-benchmark (not a test): `npx tsx bench/gemm.ts` from packages/cpu-js.
 * Prints GFLOP/s (2 m n k / time) of square products, median of several runs after warm-up.
 */
import { gemm, view } from '../src/gemm.js';

/** [GFLOP/s from the median wall time, GFLOP/s from CPU time (what an unshared core would give)]. */
function bench(size: number, transposeA: boolean, transposeB: boolean): [number, number] {
  const a = new Float32Array(size * size).map((_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
  const b = new Float32Array(size * size).map((_, i) => ((i * 104729) % 1000) / 1000 - 0.5);
  const c = new Float32Array(size * size);
  const run = () => gemm(size, size, size, view(a, 0, size, size, transposeA), view(b, 0, size, size, transposeB), c, 0, size);
  const flops = 2 * size ** 3;
  // Enough repetitions for ~0.3 s per sample at a few GFLOP/s.
  const reps = Math.max(1, Math.round(1e9 / flops));
  for (let i = 0; i < 2; i++) run();
  const samples: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let s = 0; s < 5; s++) {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) run();
    samples.push((performance.now() - t0) / 1000 / reps);
  }
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6 / (5 * reps);
  samples.sort((x, y) => x - y);
  return [flops / samples[2]! / 1e9, flops / cpuSeconds / 1e9];
}

for (const size of [256, 512]) {
  for (const [ta, tb] of [[false, false], [true, false], [false, true]] as const) {
    const label = `${size}^3${ta ? ' A^T' : ''}${tb ? ' B^T' : ''}`;
    const [wall, cpu] = bench(size, ta, tb);
    console.log(`${label.padEnd(14)} ${wall.toFixed(2)} GFLOP/s (wall, median)  ${cpu.toFixed(2)} GFLOP/s (CPU time)`);
  }
}
