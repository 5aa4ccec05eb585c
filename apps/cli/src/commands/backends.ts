import {
  KERNEL_NAMES,
  backendEntry,
  listBackends,
  planConv2d,
  planPool2d,
  type Backend,
  type KernelName,
} from '@stridenet/core';
import { BACKEND_NAMES, probeBackend, readRecommendation, recommendationFile, type BackendProbe } from '../backends.js';
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

function matrix(probes: BackendProbe[]): string {
  const usable = probes.filter((p) => p.backend);
  if (usable.length === 0) return '';
  const rows: string[] = [];
  const head = `| kernel / option | ${usable.map((p) => p.name).join(' | ')} |`;
  rows.push(head, `|---|${usable.map(() => '---').join('|')}|`);
  for (const k of KERNEL_NAMES) {
    rows.push(`| ${k} | ${usable.map((p) => (typeof (p.backend as Backend).kernels[k] === 'function' ? 'yes' : 'no')).join(' | ')} |`);
  }
  for (const probe of capabilityProbes()) {
    rows.push(
      `| ${probe.label} | ${usable
        .map((p) => {
          const r = (p.backend as Backend).supports(probe.kernel, probe.attrs as never);
          return r === true ? 'yes' : `no: ${r}`;
        })
        .join(' | ')} |`,
    );
  }
  return rows.join('\n');
}

/** Threads of a probe instance: the threaded backends are listed on one thread. */
function threadsNote(p: BackendProbe): string {
  if (!p.info?.threads) return '';
  return backendEntry(p.name).threaded ? 'probed on 1 thread' : `${p.info.threads} threads`;
}

/** `stridenet backends`: what is installed, what runs here and why not, threads, capabilities. */
export async function backendsCommand(flags: { json?: boolean; threads?: string }): Promise<number> {
  // Listing starts every backend: with --threads, each gets one thread rather than the requested
  // count (a wasm backend makes one worker per thread), and the count itself is only checked.
  const threads = parseThreads(flags.threads);
  const probes: BackendProbe[] = [];
  for (const name of BACKEND_NAMES) probes.push(await probeBackend(name));
  if (flags.json) {
    process.stdout.write(
      `${JSON.stringify(
        probes.map((p) => ({ name: p.name, package: p.packageName, installed: p.installed, usable: p.usable, reason: p.reason, autoSkip: p.autoSkip, info: p.info })),
        null,
        2,
      )}\n`,
    );
  } else {
    for (const p of probes) {
      const status = p.usable ? 'usable' : p.installed ? 'installed, cannot run here' : 'not installed';
      const info = p.info ? [threadsNote(p), p.info.simd ? 'SIMD' : '', p.info.device ?? ''].filter(Boolean).join(', ') : '';
      process.stdout.write(`${p.name.padEnd(8)} ${status}${info ? ` (${info})` : ''}${p.reason ? `: ${p.reason}` : ''}\n`);
      if (p.autoSkip) process.stdout.write(`         auto passes over it: ${p.autoSkip}\n`);
      for (const note of p.info?.notes ?? []) process.stdout.write(`         note: ${note}\n`);
    }
    if (threads !== undefined) process.stdout.write(`\n--threads ${threads}: accepted (at most ${MAX_THREADS}); listed with one thread each\n`);
    const rec = readRecommendation('');
    process.stdout.write(`\n--backend auto: ${rec ? `${rec} (recommended in ${recommendationFile()})` : `first usable of ${listBackends().join(', ')}, a software GPU adapter passed over (run stridenet-bench --recommend to choose by measurement)`}\n\n`);
    process.stdout.write(`${matrix(probes)}\n`);
  }
  for (const p of probes) await p.backend?.dispose?.();
  return EXIT.ok;
}
