/**
 * WebGPU kernel throughput: conv2d 3x3 64->64 on 8x64x56x56 (forward, input and filter gradients)
 * and square matmuls, in GFLOP/s, plus a spot check of each result against float64.
 *
 *   npx tsx bench/gpu-bench.ts [--json out.json] [--quick] [--dawn-flags backend=vulkan] [--feature-level core]
 *
 * Run from packages/webgpu. Each workload is warmed up (pipeline compile timed apart), then run in
 * batches of back-to-back dispatches ended by one queue sync; the median batch gives the time per
 * dispatch. Software adapters (lavapipe, SwiftShader) get smaller shapes automatically. Whole run
 * stays well under 2 minutes on any adapter.
 */
import { register } from 'node:module';
import { writeFileSync } from 'node:fs';

register('./wgsl-hooks.mjs', import.meta.url);

interface Result {
  name: string;
  shape: string;
  gflop: number;
  firstRunMs: number;
  medianMs: number;
  minMs: number;
  gflops: number;
  maxRelError: number;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function rand(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = (s >>> 8) / 16777216 - 0.5;
  }
  return out;
}

async function main(): Promise<void> {
  const { createWebGpuBackend } = await import('../src/index.js');
  const core = await import('@stridenet/core');
  const deadline = Date.now() + 100_000;
  const flags = arg('--dawn-flags');
  const level = arg('--feature-level') as 'core' | 'compatibility' | undefined;
  const b = await createWebGpuBackend({
    ...(flags ? { dawnFlags: flags.split(',') } : {}),
    ...(level ? { featureLevel: level } : {}),
    powerPreference: 'high-performance',
  });
  const device = b.info().device ?? 'unknown';
  const software = /llvmpipe|lavapipe|swiftshader|software/i.test(device);
  const quick = software || process.argv.includes('--quick');
  console.log(`adapter: ${device}${quick ? ' (small shapes: software adapter or --quick)' : ''}`);

  const results: Result[] = [];

  /** Times `run` (which returns handles to free): first run, then batches of `per` runs each ended by sync. */
  async function measure(name: string, shape: string, flop: number, run: () => { free: unknown[] }, check: () => Promise<number>): Promise<void> {
    if (Date.now() > deadline) {
      console.log(`${name}: skipped (time budget used)`);
      return;
    }
    const t0 = performance.now();
    const first = run();
    await b.sync();
    const firstRunMs = performance.now() - t0;
    for (const h of first.free) b.free(h as never);
    // Size a batch to about 150 ms from one more timed run.
    const t1 = performance.now();
    const one = run();
    await b.sync();
    const oneMs = Math.max(performance.now() - t1, 0.01);
    for (const h of one.free) b.free(h as never);
    const per = Math.max(1, Math.min(200, Math.round(150 / oneMs)));
    const batches = software ? 3 : 7;
    const times: number[] = [];
    for (let i = 0; i < batches && Date.now() < deadline; i++) {
      const s = performance.now();
      for (let j = 0; j < per; j++) for (const h of run().free) b.free(h as never);
      await b.sync();
      times.push((performance.now() - s) / per);
    }
    times.sort((x, y) => x - y);
    const median = times[Math.floor(times.length / 2)]!;
    const maxRelError = await check();
    const r = { name, shape, gflop: flop / 1e9, firstRunMs, medianMs: median, minMs: times[0]!, gflops: flop / 1e9 / (median / 1e3), maxRelError };
    results.push(r);
    console.log(
      `${name.padEnd(28)} ${shape.padEnd(34)} ${r.gflops.toFixed(1).padStart(9)} GFLOP/s  median ${median.toFixed(3)} ms  ` +
        `first ${firstRunMs.toFixed(1)} ms  max rel err ${maxRelError.toExponential(1)}`,
    );
  }

  // ---- conv2d 3x3 64 -> 64 ----
  const [n, c, h, w] = quick ? [1, 64, 28, 28] : [8, 64, 56, 56];
  const plan = core.planConv2d([n, c, h, w], [64, c, 3, 3], { padding: 1 });
  const x = rand(n * c * h * w, 1);
  const f = rand(64 * c * 9, 2);
  const dyv = rand(n * 64 * plan.outHeight * plan.outWidth, 3);
  const hx = b.upload(x);
  const hf = b.upload(f);
  const hdy = b.upload(dyv);
  const flop = 2 * core.conv2dMacs(plan);
  const shape = `${n}x${c}x${h}x${w} * 64x${c}x3x3 pad 1`;
  const cs = plan.inChannels * 9;
  // Spot check a few output cells (and filter-gradient entries) against float64 sums.
  const convAt = (o: number, oy: number, ox: number, img: number) => {
    let s = 0;
    for (let ci = 0; ci < c; ci++)
      for (let ky = 0; ky < 3; ky++)
        for (let kx = 0; kx < 3; kx++) {
          const iy = oy - 1 + ky;
          const ix = ox - 1 + kx;
          if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
          s += x[((img * c + ci) * h + iy) * w + ix]! * f[((o * c + ci) * 3 + ky) * 3 + kx]!;
        }
    return s;
  };
  const rel = (got: number, want: number, scale: number) => Math.abs(got - want) / Math.max(Math.abs(want), scale);
  await measure('conv2d forward', shape, flop, () => ({ free: [b.kernels.Conv2D({ x: hx, filter: hf }, { plan, activation: 'linear' })] }), async () => {
    const y = b.kernels.Conv2D({ x: hx, filter: hf }, { plan, activation: 'linear' });
    const v = await b.read(y);
    b.free(y);
    let e = 0;
    for (let i = 0; i < 32; i++) {
      const img = i % n;
      const o = (i * 7) % 64;
      const oy = (i * 13) % h;
      const ox = (i * 29) % w;
      e = Math.max(e, rel(v[((img * 64 + o) * h + oy) * w + ox]!, convAt(o, oy, ox, img), 1));
    }
    return e;
  });
  await measure('conv2d backprop input', shape, flop, () => ({ free: [b.kernels.Conv2DBackpropInput({ dy: hdy, filter: hf }, { plan })] }), async () => {
    const dx = b.kernels.Conv2DBackpropInput({ dy: hdy, filter: hf }, { plan });
    const v = await b.read(dx);
    b.free(dx);
    let e = 0;
    for (let i = 0; i < 16; i++) {
      const img = i % n;
      const ci = (i * 5) % c;
      const iy = (i * 11) % h;
      const ix = (i * 17) % w;
      let s = 0;
      for (let o = 0; o < 64; o++)
        for (let ky = 0; ky < 3; ky++)
          for (let kx = 0; kx < 3; kx++) {
            const oy = iy + 1 - ky;
            const ox = ix + 1 - kx;
            if (oy < 0 || oy >= h || ox < 0 || ox >= w) continue;
            s += dyv[((img * 64 + o) * h + oy) * w + ox]! * f[((o * c + ci) * 3 + ky) * 3 + kx]!;
          }
      e = Math.max(e, rel(v[((img * c + ci) * h + iy) * w + ix]!, s, 1));
    }
    return e;
  });
  await measure('conv2d backprop filter', shape, flop, () => ({ free: [b.kernels.Conv2DBackpropFilter({ x: hx, dy: hdy }, { plan })] }), async () => {
    const dw = b.kernels.Conv2DBackpropFilter({ x: hx, dy: hdy }, { plan });
    const v = await b.read(dw);
    b.free(dw);
    let e = 0;
    for (let i = 0; i < 8; i++) {
      const o = (i * 9) % 64;
      const k = (i * 37) % cs;
      const ci = Math.floor(k / 9);
      const ky = Math.floor((k % 9) / 3);
      const kx = k % 3;
      let s = 0;
      for (let img = 0; img < n; img++)
        for (let oy = 0; oy < h; oy++)
          for (let ox = 0; ox < w; ox++) {
            const iy = oy - 1 + ky;
            const ix = ox - 1 + kx;
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
            s += dyv[((img * 64 + o) * h + oy) * w + ox]! * x[((img * c + ci) * h + iy) * w + ix]!;
          }
      e = Math.max(e, rel(v[o * cs + k]!, s, Math.sqrt(n * h * w) * 0.1));
    }
    return e;
  });
  for (const hnd of [hx, hf, hdy]) b.free(hnd);

  // ---- matmul ----
  for (const m of quick ? [128, 256] : [512, 1024, 2048, 4096]) {
    const a = rand(m * m, 4);
    const bb = rand(m * m, 5);
    const ha = b.upload(a);
    const hb = b.upload(bb);
    const mp = core.planMatMul([m, m], [m, m]);
    await measure('matMul', `${m}x${m}x${m}`, 2 * m * m * m, () => ({ free: [b.kernels.MatMul({ a: ha, b: hb }, { plan: mp, activation: 'linear' })] }), async () => {
      const cc = b.kernels.MatMul({ a: ha, b: hb }, { plan: mp, activation: 'linear' });
      const v = await b.read(cc);
      b.free(cc);
      let e = 0;
      for (let t = 0; t < 16; t++) {
        const i = (t * 131) % m;
        const j = (t * 71) % m;
        let s = 0;
        for (let k = 0; k < m; k++) s += a[i * m + k]! * bb[k * m + j]!;
        e = Math.max(e, rel(v[i * m + j]!, s, Math.sqrt(m) * 0.1));
      }
      return e;
    });
    b.free(ha);
    b.free(hb);
  }

  const out = arg('--json');
  if (out) {
    writeFileSync(out, JSON.stringify({ adapter: device, quick, results }, null, 2));
    console.log(`wrote ${out}`);
  }
  const leaked = b.runtime.memory().liveBytes;
  b.dispose();
  if (leaked !== 0) throw new Error(`bench leaked ${leaked} bytes of GPU buffers`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    process.exit(1);
  },
);
