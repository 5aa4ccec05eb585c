// MatMul at the dense layers' shapes (x W^T + bias, relu where the model has one; W stored [n, k], transposeB),
// batch 1-8 and larger: best and median microseconds a call (CPU time per call alongside), runs of 20 calls:
// npx tsx --conditions=@stridenet/source bench/dense-shapes.ts [--threads N] [--isa=avx512|avx2|neon|portable] [--plain]
//   [--nograd off|on|both]
// --plain: A x B with B stored [k, n] (the dense layer's input gradient: dy W) instead.
// --nograd: the calls' noGrad (inference: the weights packed once and cached); both: each shape with and without, in
// interleaved rounds.
import { planMatMul } from '@stridenet/core';
import { createNativeBackend } from '../src/index.js';
import { fill, isaArg, threadsArg } from './common.js';

const threads = threadsArg() ?? 1;
const b = await createNativeBackend({ threads, isa: isaArg() ?? 'auto' });
const plain = process.argv.includes('--plain');
const noGradArg = process.argv.includes('--nograd') ? process.argv[process.argv.indexOf('--nograd') + 1] : 'off';
if (noGradArg !== 'off' && noGradArg !== 'on' && noGradArg !== 'both') throw new Error(`--nograd is ${noGradArg}, expected off, on or both`);
const modes = noGradArg === 'both' ? [false, true] : [noGradArg === 'on'];
console.log(`isa ${b.isa}, ${threads} thread(s), ${plain ? 'A x B' : 'x W^T + bias'}`);
// [name, m, n, k, relu]
const shapes: [string, number, number, number, boolean][] = [
  ['lenet 400->120', 2, 120, 400, true],
  ['lenet 120->84', 2, 84, 120, true],
  ['lenet 84->10', 2, 10, 84, false],
  ['lenet 400->120 b1', 1, 120, 400, true],
  ['resnet18 512->1000', 1, 1000, 512, false],
  ['resnet18 512->1000 b2', 2, 1000, 512, false],
  ['512->1000 b4', 4, 1000, 512, false],
  ['512->1000 b6', 6, 1000, 512, false],
  ['512->1000 b8', 8, 1000, 512, false],
  ['512->1000 b12', 12, 1000, 512, false],
  ['512->1000 b16', 16, 1000, 512, false],
  ['1024->1000 b8', 8, 1000, 1024, false],
  ['lenet 400->120 b256', 256, 120, 400, true],
  ['1024->1000 b128', 128, 1000, 1024, false],
];
const inner = 20;
for (const [name, m, n, k, relu] of shapes) {
  const plan = plain ? planMatMul([m, k], [k, n]) : planMatMul([m, k], [n, k], false, true);
  const x = b.upload(fill(m * k));
  const w = b.upload(fill(n * k));
  const bias = b.upload(fill(n));
  const runs = modes.map(
    (noGrad) => () =>
      b.free(b.kernels.MatMul(plain ? { a: x, b: w } : { a: x, b: w, bias }, { plan, activation: relu && !plain ? 'relu' : 'linear', noGrad } as never)),
  );
  for (const run of runs) for (let i = 0; i < inner * 3; i++) run();
  b.finish();
  const ts = modes.map((): number[] => []);
  const cpu = modes.map(() => 0);
  for (let r = 0; r < 25; r++) {
    runs.forEach((run, j) => {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < inner; i++) run();
      b.finish();
      ts[j]!.push(((performance.now() - t0) * 1000) / inner);
      const c = process.cpuUsage(c0);
      cpu[j]! += c.user + c.system;
    });
  }
  modes.forEach((noGrad, j) => {
    const t = ts[j]!.sort((p, q) => p - q);
    const label = `${name}${modes.length > 1 || noGrad ? (noGrad ? ' noGrad' : ' ') : ''}`;
    console.log(
      `${label.padEnd(29)} ${j === 0 ? `${m}x${n}x${k}` : ''.padEnd(`${m}x${n}x${k}`.length)}: best ${t[0]!.toFixed(2).padStart(8)} us, median ${t[12]!.toFixed(2).padStart(8)} us, cpu ${(cpu[j]! / (25 * inner)).toFixed(2).padStart(8)} us`,
    );
  });
  for (const h of [x, w, bias]) b.free(h);
}
b.dispose?.();
