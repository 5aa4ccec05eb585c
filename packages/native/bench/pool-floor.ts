// Where a pooling call's time goes between JavaScript and the kernel (report only). One input (8x64x56x56,
// --shape), modes measured in interleaved rounds in this process; µs per call: median over rounds, first
// quartile, min, the process's CPU µs per call (all threads) and minor page faults per call.
//   core+sync    core op, `await backend.sync()`, dispose: what stridenet-bench times per iteration
//   core+finish  core op, blocking finish(), dispose: the same without the promise round trip
//   queued       `--calls` core ops and disposes, one finish at the end: the kernel's throughput
//   sync idle    `await backend.sync()` on an idle queue: the promise round trip alone
//   raw+sync     the addon's run() + await sync() + free, no core; with `--addons a.node,b.node` once per
//                binary (builds compared in one process, round by round)
// Run: pnpm exec tsx --conditions @stridenet/source bench/pool-floor.ts [--threads 1,2] [--calls N] [--rounds N]
//      [--isa=avx2] [--shape 8,64,56,56] [--pool avg2,avg3,max2,max3] [--modes core+sync,...] [--addons a.node,b.node]
import { createRequire } from 'node:module';
import { basename, dirname, resolve } from 'node:path';
import { avgPool2d, maxPool2d, planPool2d, setBackend, tensor, type Pool2dOptions, type Tensor } from '@stridenet/core';
import { addon, type NativeAddon } from '../src/addon.js';
import type { NativeHandle, NativeRuntime } from '../src/handle.js';
import { createNativeBackend, type NativeBackend } from '../src/index.js';
import { arg, fill, isaArg } from './common.js';

const threadCounts = arg('--threads', '1,2').split(',').map(Number);
const calls = Number(arg('--calls', '50'));
const rounds = Number(arg('--rounds', '21'));
const shape = arg('--shape', '8,64,56,56').split(',').map(Number);
const pools: Record<string, { max: boolean; opts: Pool2dOptions }> = {
  avg2: { max: false, opts: { window: [2, 2], stride: [2, 2] } },
  avg3: { max: false, opts: { window: [3, 3], stride: [2, 2], padding: [1, 1, 1, 1], countIncludePad: false } },
  max2: { max: true, opts: { window: [2, 2], stride: [2, 2] } },
  max3: { max: true, opts: { window: [3, 3], stride: [2, 2], padding: [1, 1, 1, 1] } },
};
const poolNames = arg('--pool', 'avg2').split(',');
const modeNames = arg('--modes', 'core+sync,core+finish,queued,sync idle,raw+sync').split(',');
const require = createRequire(import.meta.url);
const addons: { label: string; addon: NativeAddon }[] = process.argv.includes('--addons')
  ? arg('--addons', '').split(',').map((f) => ({ label: basename(dirname(resolve(f))), addon: require(resolve(f)) as NativeAddon }))
  : [{ label: 'this build', addon: addon() }];

const isa = isaArg();

const values = fill(shape.reduce((a, b) => a * b));
const backends = await Promise.all(threadCounts.map((threads) => createNativeBackend({ threads, ...(isa === undefined ? {} : { isa }) })));
const inputs = new Map<NativeBackend, Tensor>();
for (const be of backends) {
  await setBackend(be);
  inputs.set(be, tensor(values, shape));
}

/** One column: a core backend at a thread count, or (raw+sync) an addon's runtime at a thread count. */
interface Subject {
  label: string;
  run: (n: number) => Promise<void>;
  wall: number[];
  cpu: number[];
  faults: number[];
}

function coreMode(mode: string, be: NativeBackend, op: (x: Tensor) => Tensor): (n: number) => Promise<void> {
  const x = inputs.get(be)!;
  switch (mode) {
    case 'core+sync':
      return async (n) => {
        for (let i = 0; i < n; i++) {
          const y = op(x);
          await be.sync!();
          y.dispose();
        }
      };
    case 'core+finish':
      return async (n) => {
        for (let i = 0; i < n; i++) {
          const y = op(x);
          be.finish();
          y.dispose();
        }
      };
    case 'queued':
      return async (n) => {
        for (let i = 0; i < n; i++) op(x).dispose();
        be.finish();
      };
    case 'sync idle':
      return async (n) => {
        for (let i = 0; i < n; i++) await be.sync!();
      };
    default:
      throw new Error(`--modes: unknown '${mode}', expected some of core+sync, core+finish, queued, sync idle, raw+sync`);
  }
}

function rawSubjects(name: string, p: { max: boolean; opts: Pool2dOptions }): Subject[] {
  const kernel = p.max ? 'MaxPool2D' : 'AvgPool2D';
  const plan = planPool2d(shape, p.opts, name);
  return threadCounts.flatMap((threads) =>
    addons.map(({ label, addon: a }) => {
      const rt: NativeRuntime = a.createRuntime(threads, backends[0]!.isa);
      const x: NativeHandle = a.upload(rt, values);
      return {
        label: `${threads}T ${addons.length > 1 ? label : ''}`.trim(),
        run: async (n: number) => {
          for (let i = 0; i < n; i++) {
            const y = a.run(kernel, [x], plan.encoded, []) as NativeHandle;
            await a.sync(rt);
            a.free(y);
          }
        },
        wall: [],
        cpu: [],
        faults: [],
      };
    }),
  );
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const fmt = (x: number) => x.toFixed(1).padStart(7);
console.log(`pool floor, ${shape.join('x')}, isa ${backends[0]!.isa}, ${calls} calls x ${rounds} interleaved rounds; µs per call`);
console.log(`${'pool'.padEnd(5)} ${'mode'.padEnd(12)} ${'column'.padEnd(8)} | median      q1     min     cpu  faults`);
for (const name of poolNames) {
  const p = pools[name];
  if (!p) throw new Error(`--pool: unknown '${name}', expected one of ${Object.keys(pools).join(', ')}`);
  const op = (x: Tensor) => (p.max ? maxPool2d(x, p.opts) : avgPool2d(x, p.opts));
  for (const mode of modeNames) {
    const subjects: Subject[] =
      mode === 'raw+sync'
        ? rawSubjects(name, p)
        : backends.map((be) => ({ label: `${be.threads}T`, run: coreMode(mode, be, op), wall: [], cpu: [], faults: [] }));
    for (let r = -1; r < rounds; r++) {
      for (const [i, s] of subjects.entries()) {
        if (mode !== 'raw+sync') await setBackend(backends[i]!);
        const n = r < 0 ? Math.min(calls, 10) : calls;
        const c0 = process.cpuUsage();
        const f0 = process.resourceUsage().minorPageFault;
        const t0 = performance.now();
        await s.run(n);
        const wall = ((performance.now() - t0) * 1e3) / n;
        const c = process.cpuUsage(c0);
        if (r < 0) continue;
        s.faults.push((process.resourceUsage().minorPageFault - f0) / n);
        s.wall.push(wall);
        s.cpu.push((c.user + c.system) / n);
      }
    }
    for (const s of subjects) {
      const w = sorted(s.wall);
      const cols = [w[w.length >> 1]!, w[w.length >> 2]!, w[0]!, sorted(s.cpu)[s.cpu.length >> 1]!, sorted(s.faults)[s.faults.length >> 1]!];
      console.log(`${name.padEnd(5)} ${mode.padEnd(12)} ${s.label.padEnd(8)} | ${cols.map(fmt).join(' ')}`);
    }
  }
}
for (const be of backends) be.dispose!();
