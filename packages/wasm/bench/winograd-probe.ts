// Conv2D on one wasm thread with a plain filter (Winograd F(2x2, 3x3), computed per call) against the same
// filter marked constant (F(4x4, 3x3), transforms kept), interleaved call by call; process CPU time per call
// (median of the rounds) and the largest difference of the outputs over their largest magnitude.
// Run: pnpm exec tsx --conditions @stridenet/source bench/winograd-probe.ts [--rounds 20] [--batch 64]
import { planConv2d, Rng } from '@stridenet/core';
import { createWasmBackend } from '../src/index.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const rounds = Number(arg('rounds', '20'));
const batch = Number(arg('batch', '64'));
const be = await createWasmBackend({ threads: 1 });
const rng = new Rng(1);
for (const [c, hw] of [[16, 32], [32, 16], [64, 8]] as const) {
  const plan = planConv2d([batch, c, hw, hw], [c, c, 3, 3], { padding: 1 });
  const x = be.upload(rng.normal(batch * c * hw * hw));
  const wv = rng.normal(c * c * 9).map((v) => v / Math.sqrt(9 * c));
  const [plain, constant] = [be.upload(wv), be.upload(wv)];
  be.markConstant?.(constant);
  const b = be.upload(rng.normal(c));
  const cpu = { plain: [] as number[], constant: [] as number[] };
  let rel = 0;
  for (let r = -1; r < rounds; r++) {
    const ys: Float32Array[] = [];
    for (const [k, filter] of [['plain', plain], ['constant', constant]] as const) {
      const u0 = process.cpuUsage();
      const y = be.kernels.Conv2D({ x, filter, bias: b }, { plan, activation: 'relu' });
      const u = process.cpuUsage(u0);
      if (r >= 0) cpu[k].push((u.user + u.system) / 1000);
      if (r < 0) ys.push(await be.read(y));
      be.free(y);
    }
    if (r < 0) {
      let d = 0;
      let s = 0;
      for (let i = 0; i < ys[0]!.length; i++) {
        d = Math.max(d, Math.abs(ys[0]![i]! - ys[1]![i]!));
        s = Math.max(s, Math.abs(ys[0]![i]!));
      }
      rel = d / s;
    }
  }
  const med = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1]!;
  console.log(`${batch}x${c}x${hw}x${hw} 3x3 -> ${c}: F(2x2) ${med(cpu.plain).toFixed(2)} ms, constant F(4x4) ${med(cpu.constant).toFixed(2)} ms (${(med(cpu.plain) / med(cpu.constant)).toFixed(2)}x), outputs differ by ${rel.toExponential(2)} of max |y|`);
  [x, plain, constant, b].forEach((h) => be.free(h));
}
be.dispose();
