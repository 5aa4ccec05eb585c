import { spawn } from 'node:child_process';
import {
  KERNEL_NAMES,
  backendEntry,
  listBackends,
  planConv2d,
  planPool2d,
  type Backend,
  type KernelName,
} from '@stridenet/core';
import { BACKEND_NAMES, cliEntry, probeBackend, readRecommendation, recommendationFile, type BackendName, type BackendProbe } from '../backends.js';
import { MAX_THREADS, parseThreads } from '../config.js';
import { EXIT } from '../errors.js';

/** Representative option combinations asked of supports(): a capability row each. */
function capabilityProbes(): { label: string; kernel: KernelName; attrs: unknown }[] {
  const conv = (label: string, x: number[], w: number[], o: Parameters<typeof planConv2d>[2]) => {
    const plan = planConv2d(x, w, o);
    return [
      { label: `Conv2D ${label}`, kernel: 'Conv2D' as const, attrs: { plan, activation: 'relu' } },
      { label: `Conv2DBackpropInput ${label}`, kernel: 'Conv2DBackpropInput' as const, attrs: { plan } },
      { label: `Conv2DBackpropFilter ${label}`, kernel: 'Conv2DBackpropFilter' as const, attrs: { plan } },
    ];
  };
  const pool = (label: string, o: Parameters<typeof planPool2d>[1]) => {
    const plan = planPool2d([2, 3, 9, 9], o);
    return [
      { label: `MaxPool2D ${label}`, kernel: 'MaxPool2D' as const, attrs: { plan } },
      { label: `AvgPool2D ${label}`, kernel: 'AvgPool2D' as const, attrs: { plan } },
      { label: `MaxPool2DGrad ${label}`, kernel: 'MaxPool2DGrad' as const, attrs: { plan } },
      { label: `AvgPool2DGrad ${label}`, kernel: 'AvgPool2DGrad' as const, attrs: { plan } },
    ];
  };
  return [
    ...conv('3x3 same', [2, 4, 9, 9], [8, 4, 3, 3], { padding: 'same' }),
    ...conv('stride 2, dilation 2', [2, 4, 9, 9], [8, 4, 3, 3], { stride: 2, dilation: 2, padding: 2 }),
    ...conv('groups 2', [2, 4, 9, 9], [8, 2, 3, 3], { groups: 2 }),
    ...conv('depthwise', [2, 4, 9, 9], [4, 1, 3, 3], { groups: 4, padding: 1 }),
    ...conv('asymmetric padding', [2, 4, 9, 9], [8, 4, 2, 2], { padding: [0, 1, 1, 0] }),
    ...pool('3x3 s2 pad 1', { window: 3, stride: 2, padding: 1 }),
    ...pool('ceil mode', { window: 2, stride: 2, ceilMode: true }),
    ...pool('exclude padding', { window: 3, stride: 2, padding: 1, countIncludePad: false }),
  ];
}

/** What one backend can do: a row per kernel (present or not), then a row per capability probe (true or the reason). */
export interface CapabilityColumn {
  kernels: boolean[];
  capabilities: (true | string)[];
}

/** A probe as plain data (the instance already disposed), with its capability column when it runs. */
export type ProbeReport = Omit<BackendProbe, 'backend'> & { column?: CapabilityColumn };

function capabilityColumn(backend: Backend): CapabilityColumn {
  return {
    kernels: KERNEL_NAMES.map((k) => typeof backend.kernels[k] === 'function'),
    capabilities: capabilityProbes().map((probe) => {
      const r = backend.supports(probe.kernel, probe.attrs as never);
      return r === true ? true : String(r);
    }),
  };
}

/** Probes a backend in this process and disposes the probe instance. */
async function probeHere(name: BackendName): Promise<ProbeReport> {
  const { backend, ...probe } = await probeBackend(name);
  if (!backend) return probe;
  try {
    return { ...probe, column: capabilityColumn(backend) };
  } finally {
    await backend.dispose?.();
  }
}

/**
 * Backends whose native runtime writes to the process's stderr while starting (Dawn, under
 * @stridenet/webgpu, logs limit adjustments as "Warning: ..."); they are probed in a child process
 * whose stderr is filtered, since native output cannot be caught inside this one.
 */
const PROBE_IN_CHILD: ReadonlySet<BackendName> = new Set<BackendName>(['webgpu']);
const NATIVE_NOISE = /^Warning: /;
const CHILD_PROBE_TIMEOUT_MS = 120_000;

/** `stridenet __probe-backend <name>` (hidden): one backend's ProbeReport as JSON on stdout. */
export async function probeBackendCommand(name: string): Promise<number> {
  if (!(BACKEND_NAMES as readonly string[]).includes(name)) throw new Error(`__probe-backend: unknown backend '${name}'`);
  process.stdout.write(`${JSON.stringify(await probeHere(name as BackendName))}\n`);
  return EXIT.ok;
}

/** Runs probeBackendCommand in a child; its stderr minus the native runtime's warnings is passed on. */
function probeInChild(name: BackendName): Promise<ProbeReport> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, cliEntry(), '__probe-backend', name], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_PROBE_TIMEOUT_MS);
    const failed = (why: string): ProbeReport => ({ name, packageName: backendEntry(name).packageName ?? name, installed: true, usable: false, reason: why });
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve(failed(`could not start its probe process: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const lines = Buffer.concat(err).toString('utf8').split('\n').filter((l) => l.trim() !== '' && !NATIVE_NOISE.test(l));
      for (const l of lines) process.stderr.write(`${l}\n`);
      try {
        if (code === 0) return resolve(JSON.parse(Buffer.concat(out).toString('utf8')) as ProbeReport);
      } catch {
        // Not JSON: reported below like a crash.
      }
      const how = signal === 'SIGKILL' ? `timed out after ${CHILD_PROBE_TIMEOUT_MS / 1000} s` : signal ? `was killed by ${signal}` : `exited with code ${code}`;
      resolve(failed(`its probe process ${how}${lines.length ? `: ${lines[lines.length - 1]}` : ''}`));
    });
  });
}

function matrix(probes: ProbeReport[]): string {
  const usable = probes.filter((p): p is ProbeReport & { column: CapabilityColumn } => p.column !== undefined);
  if (usable.length === 0) return '';
  const cell = (r: boolean | string) => (r === true ? 'yes' : r === false ? 'no' : `no: ${r}`);
  const rows = [`| kernel / option | ${usable.map((p) => p.name).join(' | ')} |`, `|---|${usable.map(() => '---').join('|')}|`];
  KERNEL_NAMES.forEach((k, i) => rows.push(`| ${k} | ${usable.map((p) => cell(p.column.kernels[i]!)).join(' | ')} |`));
  capabilityProbes().forEach((probe, i) => rows.push(`| ${probe.label} | ${usable.map((p) => cell(p.column.capabilities[i]!)).join(' | ')} |`));
  return rows.join('\n');
}

/** Threads of a probe instance: the threaded backends are listed on one thread. */
function threadsNote(p: ProbeReport): string {
  if (!p.info?.threads) return '';
  return backendEntry(p.name).threaded ? 'probed on 1 thread' : `${p.info.threads} thread${p.info.threads === 1 ? '' : 's'}`;
}

/** One listing line's status and reason: what runs it (usable), how to install it, or why it cannot run. */
export function statusAndReason(p: Pick<ProbeReport, 'installed' | 'usable' | 'reason' | 'info' | 'packageName' | 'name'>): { status: string; reason: string } {
  if (p.usable) {
    const info = p.info ? [threadsNote(p as ProbeReport), p.info.simd ? 'SIMD' : '', p.info.device ?? ''].filter(Boolean).join(', ') : '';
    return { status: 'usable', reason: info };
  }
  if (!p.installed) {
    // Core's reason reads "not installed (npm i <pkg>): <import error>"; the status already says the first part.
    const pkg = p.packageName ?? p.name;
    const detail = (p.reason ?? '').replace(/^not installed \(npm i [^)]*\):\s*/, '');
    const plain = detail === '' || detail.includes(`Cannot find package '${pkg}'`) || detail.includes(`Cannot find module '${pkg}'`);
    return { status: 'not installed', reason: `npm i ${pkg}${plain ? '' : ` (importing it failed: ${detail})`}` };
  }
  return { status: 'cannot run here', reason: p.reason ?? 'no reason given' };
}

/** What `--backend auto` would start: the stored recommendation, else the first usable in core's order that auto does not pass over. */
function autoLine(probes: ProbeReport[]): string {
  const order = listBackends();
  const rec = readRecommendation('');
  if (rec) return `--backend auto: ${rec} (the choice stored in ${recommendationFile()})`;
  const pick = order.map((n) => probes.find((p) => p.name === n)).find((p) => p?.usable && !p.autoSkip);
  return `--backend auto: ${pick ? pick.name : 'none of them'} (the first usable of ${order.join(', ')}; webgpu only on a hardware GPU adapter)`;
}

/** `stridenet backends`: what is installed, what runs here and why not, threads, capabilities. */
export async function backendsCommand(flags: { json?: boolean; threads?: string }): Promise<number> {
  // Listing starts every backend: with --threads, each gets one thread rather than the requested
  // count (a wasm backend makes one worker per thread), and the count itself is only checked.
  const threads = parseThreads(flags.threads);
  // The child probes run while this process probes the others.
  const pending = BACKEND_NAMES.map((name) => (PROBE_IN_CHILD.has(name) ? probeInChild(name) : undefined));
  const probes: ProbeReport[] = [];
  for (const [i, name] of BACKEND_NAMES.entries()) probes.push(await (pending[i] ?? probeHere(name)));
  if (flags.json) {
    process.stdout.write(
      `${JSON.stringify(
        probes.map((p) => ({ name: p.name, package: p.packageName, installed: p.installed, usable: p.usable, reason: p.reason, autoSkip: p.autoSkip, info: p.info })),
        null,
        2,
      )}\n`,
    );
    return EXIT.ok;
  }
  for (const p of probes) {
    const { status, reason } = statusAndReason(p);
    process.stdout.write(`${`${p.name.padEnd(8)} ${status.padEnd(15)} ${reason}`.trimEnd()}\n`);
    if (p.autoSkip) process.stdout.write(`         auto passes over it: ${p.autoSkip}\n`);
    for (const note of p.info?.notes ?? []) process.stdout.write(`         note: ${note}\n`);
  }
  if (threads !== undefined) process.stdout.write(`\n--threads ${threads}: accepted (at most ${MAX_THREADS}); listed with one thread each\n`);
  process.stdout.write(`\n${autoLine(probes)}\n\n${matrix(probes)}\n`);
  return EXIT.ok;
}
