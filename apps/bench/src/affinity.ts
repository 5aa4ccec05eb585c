import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * CPU affinity of the bench process, for thread settings below the machine's CPU count.
 *
 * Why: with 1 thread on a 2-vCPU machine the scheduler puts each runner where it likes. In-process
 * runners (native, wasm, ONNX Runtime, TF.js) run on the bench process's threads; PyTorch runs in a child
 * process, which may sit on the other vCPU. On a shared host the two vCPUs need not run at one speed, so
 * pinning every thread of the bench process (and, by inheritance, every child it spawns afterwards) to the
 * same CPUs puts all runners of a cell on the same core and a slow phase of the host hits them alike. It
 * was added for a cell it did not explain: PyTorch's All-CNN-C inference at 1 thread probed 174-177 ms per
 * batch and then timed about 321 ms in every repetition, unpinned and pinned alike (two runs, 2026-12-07,
 * Zen 5): that gap is PyTorch's own (see the bench README, "Peers at their best").
 */

/** The CPUs this process may run on (Linux: /proc/self/status), or undefined where that is not known. */
export function allowedCpus(status: string | undefined = readStatus()): number[] | undefined {
  const line = status?.split('\n').find((l) => l.startsWith('Cpus_allowed_list:'));
  if (!line) return undefined;
  return parseCpuList(line.slice('Cpus_allowed_list:'.length).trim());
}

function readStatus(pid: number | 'self' = 'self'): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
}

/** '0-2,5' -> [0, 1, 2, 5]. */
export function parseCpuList(list: string): number[] {
  const out: number[] = [];
  for (const part of list.split(',')) {
    const p = part.trim();
    if (!p) continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(p);
    if (!m) throw new Error(`CPU list '${list}' has '${p}' but expected a number or a range like 0-3`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) throw new Error(`CPU list '${list}' has the range '${p}' but expected its end not below its start`);
    for (let c = lo; c <= hi; c++) out.push(c);
  }
  return out;
}

/** [0, 1, 2, 5] -> '0-2,5'. */
export function formatCpuList(cpus: readonly number[]): string {
  const sorted = [...new Set(cpus)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** The CPU list of one process (its main thread), or undefined where /proc is not readable. */
export function processCpus(pid: number): number[] | undefined {
  const status = readStatus(pid);
  return status === undefined ? undefined : allowedCpus(status);
}

/**
 * Sets the affinity of every thread of `pid` to `cpus` (`taskset -a -p -c`, util-linux). Threads and
 * processes it creates afterwards inherit it.
 */
export function pinProcess(pid: number, cpus: readonly number[]): void {
  if (!cpus.length) throw new Error(`pinProcess: cpus is empty but expected at least one CPU for pid ${pid}`);
  const list = formatCpuList(cpus);
  try {
    execFileSync('taskset', ['-a', '-p', '-c', list, String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    if (err.code === 'ENOENT') {
      throw new Error(`pinning the runners to CPU ${list} needs taskset (Debian: util-linux), which is not on PATH; install it or pass --no-pin`);
    }
    throw new Error(`taskset could not pin pid ${pid} to CPU ${list}: ${err.stderr?.toString().trim() || err.message}`);
  }
  // taskset -a exits 0 without touching anything when the pid has no task list (gone): read it back.
  const now = processCpus(pid);
  if (now === undefined || formatCpuList(now) !== list) {
    throw new Error(`taskset could not pin pid ${pid} to CPU ${list}: it now runs on ${now ? formatCpuList(now) : '(no such process)'}`);
  }
}

/**
 * The CPUs a thread setting's runners are pinned to: the first `threads` of the allowed ones when that is
 * fewer than all of them, else undefined (no pinning: every CPU is in use anyway).
 */
export function cpusForThreads(threads: number, allowed: readonly number[] | undefined): number[] | undefined {
  if (!allowed || threads >= allowed.length) return undefined;
  return allowed.slice(0, threads);
}
