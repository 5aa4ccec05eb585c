import { readFileSync, readdirSync } from 'node:fs';
import { createNativeBackend, type NativeBackend, type NativeIsa } from '../src/index.js';

/** The value after a command-line flag, or the fallback when the flag is absent. */
export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

export function threadsArg(): number | undefined {
  const i = process.argv.indexOf('--threads');
  return i >= 0 ? Number(process.argv[i + 1]) : undefined;
}

/** `--isa=avx512|avx2|neon|portable` when given (createNativeBackend checks the value). */
export function isaArg(): NativeIsa | undefined {
  return process.argv.find((a) => a.startsWith('--isa='))?.slice(6) as NativeIsa | undefined;
}

/** The backend a bench runs on: `--threads N` and `--isa=avx512|avx2|neon|portable` when given. */
export async function backend(): Promise<NativeBackend> {
  const threads = threadsArg();
  const isa = isaArg();
  return createNativeBackend({ ...(threads === undefined ? {} : { threads }), ...(isa === undefined ? {} : { isa }) });
}

export function fill(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = ((i * 7919) % 1000) / 1000 - 0.5;
  return a;
}

/** Median seconds of `reps` timed runs after `warm` untimed ones; each run waits for its queued work. */
export interface Timing {
  median: number;
  min: number;
  max: number;
  /** Process CPU seconds per run (all threads); wall / cpu shows how much of the machine we got. */
  cpu: number;
}

export async function time(b: NativeBackend, reps: number, warm: number, run: () => void): Promise<Timing> {
  for (let i = 0; i < warm; i++) {
    run();
    await b.sync!();
  }
  const t: number[] = [];
  const c0 = process.cpuUsage();
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    run();
    await b.sync!();
    t.push((performance.now() - t0) / 1000);
  }
  const c = process.cpuUsage(c0);
  t.sort((x, y) => x - y);
  return { median: t[Math.floor(t.length / 2)]!, min: t[0]!, max: t[t.length - 1]!, cpu: (c.user + c.system) / 1e6 / reps };
}

/**
 * Wall-clock GFLOP/s (median, best, worst) plus GFLOP per CPU-second per thread: on a busy machine
 * the latter estimates what one uncontended core delivers.
 */
export function report(name: string, flops: number, s: Timing, threads: number): void {
  const g = (x: number) => (flops / x / 1e9).toFixed(1);
  const perCore = (flops / s.cpu / 1e9).toFixed(1);
  const share = (s.cpu / s.median / threads) * 100;
  console.log(
    `${name.padEnd(36)} ${g(s.median).padStart(7)} GFLOP/s median (best ${g(s.min)}, worst ${g(s.max)}; ` +
      `${(s.median * 1e3).toFixed(1)} ms) | ${perCore} GFLOP per CPU-s, CPU share ${share.toFixed(0)}%`,
  );
}

/**
 * CPU milliseconds of each thread of this process by 'tid name' (Linux /proc/self/task: schedstat's nanoseconds
 * on the CPU where the kernel keeps them, else stat's 10 ms ticks: over 20 runs one tick reads as 0.5 ms a run).
 */
export function threadCpu(): Map<string, number> {
  const r = new Map<string, number>();
  for (const t of readdirSync('/proc/self/task')) {
    const st = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
    let ms: number;
    try {
      ms = Number(readFileSync(`/proc/self/task/${t}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
    } catch {
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      ms = (Number(f[11]) + Number(f[12])) * 10;
    }
    r.set(`${t} ${/\((.*)\)/.exec(st)![1]!}`, ms);
  }
  return r;
}
