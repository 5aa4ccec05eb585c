import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { WorkloadInputs } from '../data.js';
import type { Workload } from '../workloads.js';
import type { Prepared, Runner, RunnerInfo } from './types.js';

export const PYTHON = process.env.STRIDENET_BENCH_PYTHON ?? '/usr/bin/python3';

function scriptPath(): string {
  // src/runners -> ../../python; dist -> ../python
  for (const rel of ['../../python/torch_runner.py', '../python/torch_runner.py']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new Error('python/torch_runner.py not found next to the harness');
}

/** A long-lived Python child answering one JSON line per request. */
class PythonChild {
  private readonly lines: AsyncIterator<string>;
  private stderr = '';

  constructor(readonly proc: ChildProcessWithoutNullStreams) {
    this.lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
    proc.stderr.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-2000);
    });
  }

  async call(msg: Record<string, unknown>): Promise<Record<string, unknown>> {
    this.proc.stdin.write(JSON.stringify(msg) + '\n');
    const next = await this.lines.next();
    if (next.done) throw new Error(`the PyTorch runner exited: ${this.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    const reply = JSON.parse(next.value) as Record<string, unknown>;
    if (typeof reply.error === 'string') throw new Error(`PyTorch: ${reply.error}`);
    return reply;
  }
}

/** PyTorch through /usr/bin/python3 (Debian's python3-torch, OpenBLAS), when it imports. */
export async function createTorchRunner(threads: number): Promise<Runner | string> {
  if (!existsSync(PYTHON)) return `${PYTHON} not found (set STRIDENET_BENCH_PYTHON)`;
  const t = String(threads);
  const proc = spawn(PYTHON, [scriptPath(), '--threads', t], {
    // Read by OpenBLAS / OpenMP when torch is imported, so they must be in the environment already.
    env: { ...process.env, OPENBLAS_NUM_THREADS: t, OMP_NUM_THREADS: t, MKL_NUM_THREADS: t, PYTHONUNBUFFERED: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const child = new PythonChild(proc);
  let hello: Record<string, unknown>;
  try {
    hello = await child.call({ cmd: 'hello' });
  } catch (e) {
    proc.kill();
    return `PyTorch is not importable by ${PYTHON} (apt-get install python3-torch): ${String((e as Error).message).split('\n')[0]}`;
  }
  const info: RunnerInfo = {
    id: 'torch',
    kind: 'peer',
    label: 'PyTorch cpu',
    version: String(hello.torch),
    threads: Number(hello.threads),
    device: (hello.config as string[] | undefined)?.join('; '),
    notes: ['timed inside the Python process (no IPC in the loop); inputs and weights copied from the harness as float32 files'],
  };
  return new TorchRunner(child, info);
}

class TorchRunner implements Runner {
  private readonly dir = mkdtempSync(join(tmpdir(), 'stridenet-bench-torch-'));

  constructor(
    private readonly child: PythonChild,
    readonly info: RunnerInfo,
  ) {}

  supports(w: Workload): true | string {
    const s = w.spec;
    if ((s.kind === 'conv2d' || s.kind === 'pool2d') && !(s.pads[0] === s.pads[1] && s.pads[2] === s.pads[3])) {
      return 'PyTorch conv/pool take symmetric padding only';
    }
    return true;
  }

  async prepare(w: Workload, inputs: WorkloadInputs): Promise<Prepared> {
    const dir = this.dir;
    const tensors: Record<string, unknown> = {};
    for (const [k, t] of Object.entries(inputs.tensors)) {
      const path = join(dir, `${k}.f32`);
      writeFileSync(path, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
      tensors[k] = { path, count: t.data.length, shape: t.shape };
    }
    const msg: Record<string, unknown> = { cmd: 'prepare', spec: w.spec, tensors };
    if (inputs.model) {
      const { weights, ...rest } = inputs.model;
      const path = join(dir, 'weights.f32');
      const total = Object.values(weights).reduce((a, x) => a + x.data.length, 0);
      const all = new Float32Array(total);
      const entries: Record<string, unknown> = {};
      let offset = 0;
      for (const [name, x] of Object.entries(weights)) {
        all.set(x.data, offset);
        entries[name] = { path, offset, count: x.data.length, shape: x.shape };
        offset += x.data.length;
      }
      writeFileSync(path, new Uint8Array(all.buffer));
      msg.model = { ...rest, weights: Object.fromEntries(Object.entries(weights).map(([k, x]) => [k, { shape: x.shape, trainable: x.trainable }])) };
      msg.weights = entries;
    }
    if (inputs.labels) {
      const path = join(dir, 'labels.i32');
      writeFileSync(path, new Uint8Array(inputs.labels.buffer, inputs.labels.byteOffset, inputs.labels.byteLength));
      msg.labels = { path, count: inputs.labels.length };
    }
    const child = this.child;
    try {
      await child.call(msg);
    } catch (e) {
      const m = String((e as Error).message);
      if (m.includes('unsupported')) throw new Error(m.replace('PyTorch: ValueError: ', ''));
      throw e;
    }
    return {
      async runIterations(n) {
        return Number((await child.call({ cmd: 'run', n })).seconds);
      },
      async output() {
        const path = join(dir, 'out.f32');
        await child.call({ cmd: 'output', path });
        const b = readFileSync(path);
        return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
      },
      backendBytes: () => 0,
      async rss() {
        return Number((await child.call({ cmd: 'rss' })).rss);
      },
      async dispose() {
        await child.call({ cmd: 'dispose' });
        return undefined;
      },
    };
  }

  async close(): Promise<void> {
    try {
      await this.child.call({ cmd: 'exit' }).catch(() => undefined);
    } finally {
      this.child.proc.kill();
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
