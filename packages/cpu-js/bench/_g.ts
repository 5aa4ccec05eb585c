import { gemm, view } from '../src/gemm.js';
function run(m: number, n: number, k: number, ta = false, tb = false) {
  const a = new Float32Array(m * k).map(() => Math.random()), b = new Float32Array(k * n).map(() => Math.random()), c = new Float32Array(m * n);
  const f = () => gemm(m, n, k, view(a, 0, m, k, ta), view(b, 0, k, n, tb), c, 0, n);
  const reps = Math.max(3, Math.round(3e8 / (2 * m * n * k)));
  for (let i = 0; i < 3; i++) f();
  const t0 = performance.now(); for (let i = 0; i < reps; i++) f();
  const s = (performance.now() - t0) / 1000 / reps;
  console.log(`${m}x${n}x${k} ${ta ? 'tA' : ''}${tb ? 'tB' : ''}: ${(2 * m * n * k / s / 1e9).toFixed(2)} GFLOP/s`);
}
run(16, 100, 150); run(16, 1600, 150); run(16, 150, 100, false, true); run(16,150,1600,false,true); run(150, 100, 16, true, false); run(64,120,400); run(64, 84, 120); run(400,120,64,true,false); run(64,400,120,false,true); run(256,256,256);
