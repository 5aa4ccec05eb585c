import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { allowedCpus, cpusForThreads, formatCpuList, parseCpuList, pinProcess, processCpus } from './affinity.js';
import { conditionsSentence } from './report.js';
import { createOnnxRunner } from './runners/onnx.js';
import type { BenchReport } from './schema.js';

const allowed = allowedCpus();
const linuxWithTwo = process.platform === 'linux' && allowed !== undefined && allowed.length >= 2;

describe('CPU lists', () => {
  it('parses and formats the kernel list syntax', () => {
    expect(parseCpuList('0-2,5')).toEqual([0, 1, 2, 5]);
    expect(parseCpuList('3')).toEqual([3]);
    expect(formatCpuList([5, 0, 2, 1])).toBe('0-2,5');
    expect(formatCpuList([0])).toBe('0');
    expect(formatCpuList(parseCpuList('0,2-4,7-8'))).toBe('0,2-4,7-8');
    expect(() => parseCpuList('0-x')).toThrow(/'0-x' has '0-x' but expected a number or a range/);
    expect(() => parseCpuList('4-2')).toThrow(/range '4-2'.*end not below its start/);
  });

  it('reads the allowed list from a status file', () => {
    expect(allowedCpus('Name:\tnode\nCpus_allowed:\t3\nCpus_allowed_list:\t0-1\nMems_allowed:\t1\n')).toEqual([0, 1]);
    expect(allowedCpus('Name:\tnode\n')).toBeUndefined();
  });

  it('pins a thread setting below the CPU count to its first CPUs only', () => {
    expect(cpusForThreads(1, [0, 1])).toEqual([0]);
    expect(cpusForThreads(2, [4, 6, 7])).toEqual([4, 6]);
    expect(cpusForThreads(2, [0, 1])).toBeUndefined();
    expect(cpusForThreads(4, [0, 1])).toBeUndefined();
    expect(cpusForThreads(1, undefined)).toBeUndefined();
  });
});

describe.runIf(linuxWithTwo)('pinning a process (Linux, 2+ CPUs)', () => {
  it('pins every thread of a process, and processes it starts afterwards inherit it', async () => {
    const first = allowed![0]!;
    // A child that, on a line from stdin, starts a grandchild printing its own allowed CPUs.
    const child = spawn(process.execPath, [
      '-e',
      "process.stdin.once('data', () => { const g = require('child_process').spawnSync('grep', ['Cpus_allowed_list', '/proc/self/status'], { encoding: 'utf8' }); process.stdout.write(g.stdout); process.exit(0); });",
    ]);
    try {
      expect(processCpus(child.pid!)).toEqual(allowed);
      pinProcess(child.pid!, [first]);
      expect(processCpus(child.pid!)).toEqual([first]);
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stdin.write('go\n');
      await once(child, 'exit');
      expect(out.trim().split(/\s+/).pop()).toBe(String(first));
    } finally {
      child.kill();
    }
  });

  it('covers the ONNX Runtime child: started while the bench process is pinned, it runs on the same CPUs', async () => {
    const first = allowed![0]!;
    pinProcess(process.pid, [first]);
    let r: Awaited<ReturnType<typeof createOnnxRunner>> | undefined;
    try {
      r = await createOnnxRunner(1, 'auto');
    } finally {
      pinProcess(process.pid, allowed!);
    }
    if (typeof r === 'string') return; // onnxruntime-node not installed: nothing to pin
    try {
      const pid = (r as unknown as { pid: number }).pid;
      expect(processCpus(pid)).toEqual([first]);
    } finally {
      await r.close();
    }
  });

  it('names the pid and the list when taskset refuses', () => {
    expect(() => pinProcess(2 ** 22 + 12345, [allowed![0]!])).toThrow(/taskset could not pin pid 4206649 to CPU \d+: it now runs on \(no such process\)/);
    expect(() => pinProcess(process.pid, [])).toThrow(/cpus is empty but expected at least one CPU/);
  });
});

describe('conditionsSentence', () => {
  const base = { settings: { peerIsa: 'auto' } } as unknown as BenchReport;
  const runner = (id: string, t: number, cpus?: string) => ({ id, kind: 'peer', label: id, version: '', threads: t, requestedThreads: t, available: true, ...(cpus ? { cpus } : {}) });

  it('says which thread settings ran pinned, and where', () => {
    const r = { ...base, runners: [runner('native', 1, '0'), runner('torch', 1, '0'), runner('native', 2), runner('torch', 2)] } as unknown as BenchReport;
    expect(conditionsSentence(r)).toBe('Every runner pinned to the same CPUs: 1T on CPU 0 (the bench process and its children, `taskset`).');
    expect(conditionsSentence({ ...r, runners: [runner('native', 1), runner('native', 2)] } as unknown as BenchReport)).toBe('');
  });
});
