import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { WorkloadInputs } from '../data.js';
import { TORCH_AVX2_ENV, torchIsa, type PeerIsa, type TorchIsaReport } from '../peer-isa.js';
import type { Workload } from '../workloads.js';
import type { Prepared, ReluFlips, Runner, RunnerInfo, TrainCheck } from './types.js';

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

/** Spins of an idle OpenMP thread under OMP_WAIT_POLICY=ACTIVE before it sleeps (GOMP_SPINCOUNT). */
const ACTIVE_SPINCOUNT = '10000000';
/** Longest untimed wait after each timed batch for the child's spinning threads to go idle (it waits only as long as they spin). */
const ACTIVE_COOLDOWN_S = 2;

export type WaitPolicy = 'PASSIVE' | 'ACTIVE';

/**
 * glibc malloc settings for the PyTorch child: large blocks from the heap (no mmap) and no trimming of its
 * top, so an activation freed after one call is reused by the next instead of being returned to the OS and
 * faulted in again page by page. PyTorch's CPU allocator is plain malloc; with glibc's defaults its speed
 * depended on the heap's history: All-CNN-C b64 frozen channels_last at 1 thread ran 175-211 ms a call
 * with no page faults, or 400-610 ms with 12-18 thousand minor faults a call (100-170 ms of it system
 * time), in the same script (Zen 5, 2026-12-07) — the bench had probed 176 ms and timed 321 ms for that
 * cell. Our native runtime keeps its own block cache and ONNX Runtime its arena; this gives PyTorch the
 * same. A caller's own setting of either variable wins.
 */
export const TORCH_MALLOC_ENV = { MALLOC_MMAP_MAX_: '0', MALLOC_TRIM_THRESHOLD_: String(2 ** 40) } as const;

/**
 * The child's environment: thread counts, the OpenMP wait policy and malloc (TORCH_MALLOC_ENV), and under `--peer-isa avx2` the
 * switches that hold torch's libraries to AVX2 (peer-isa.ts). All are read when torch and its libraries
 * load, so they must be in the environment the child starts with. 'auto' leaves the ISA to the libraries
 * (and to whatever the caller's environment already says: the child reads back what it runs either way).
 */
export function torchChildEnv(threads: number, policy: WaitPolicy, peerIsa: PeerIsa, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const t = String(threads);
  return {
    ...TORCH_MALLOC_ENV,
    ...base,
    OPENBLAS_NUM_THREADS: t,
    OMP_NUM_THREADS: t,
    MKL_NUM_THREADS: t,
    OMP_WAIT_POLICY: policy,
    ...(policy === 'ACTIVE' ? { GOMP_SPINCOUNT: ACTIVE_SPINCOUNT } : {}),
    ...(peerIsa === 'avx2' ? TORCH_AVX2_ENV : {}),
    PYTHONUNBUFFERED: '1',
  };
}

function spawnChild(threads: number, policy: WaitPolicy, cooldown: number, peerIsa: PeerIsa): PythonChild {
  const proc = spawn(PYTHON, [scriptPath(), '--threads', String(threads), '--cooldown', policy === 'ACTIVE' ? String(cooldown) : '0'], {
    env: torchChildEnv(threads, policy, peerIsa),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return new PythonChild(proc);
}

export interface TorchOptions {
  /**
   * Seconds each configuration runs while the fastest is picked; 0 probes nothing and rotates through
   * the configurations workload by workload instead (smoke runs: every code path, one set-up each).
   */
  probeSeconds: number;
  /** Longest untimed wait of the ACTIVE process after each batch for its threads to go idle (default 2 s; smoke runs, which time nothing, use 0). */
  activeCooldown?: number;
  /** 'avx2' holds torch's oneDNN, ATen and BLAS to AVX2 (--peer-isa); default 'auto'. */
  peerIsa?: PeerIsa;
}

/** PyTorch through /usr/bin/python3 (Debian's python3-torch: oneDNN convolutions, OpenMP), when it imports. */
export async function createTorchRunner(threads: number, options: TorchOptions = { probeSeconds: 0.25 }): Promise<Runner | string> {
  if (!existsSync(PYTHON)) return `${PYTHON} not found (set STRIDENET_BENCH_PYTHON)`;
  const cooldown = options.activeCooldown ?? ACTIVE_COOLDOWN_S;
  const peerIsa = options.peerIsa ?? 'auto';
  const children = { PASSIVE: spawnChild(threads, 'PASSIVE', 0, peerIsa), ACTIVE: spawnChild(threads, 'ACTIVE', cooldown, peerIsa) };
  let hello: Record<string, unknown>;
  try {
    [hello] = await Promise.all([children.PASSIVE.call({ cmd: 'hello' }), children.ACTIVE.call({ cmd: 'hello' })]);
  } catch (e) {
    for (const c of Object.values(children)) c.proc.kill();
    return `PyTorch is not importable by ${PYTHON} (apt-get install python3-torch): ${String((e as Error).message).split('\n')[0]}`;
  }
  const isa = hello.isa ? torchIsa(hello.isa as TorchIsaReport, peerIsa) : { isa: 'unknown', problems: peerIsa === 'avx2' ? ['the child did not report its ISA'] : [] };
  if (isa.problems.length) {
    for (const c of Object.values(children)) c.proc.kill();
    return `--peer-isa ${peerIsa} cannot hold PyTorch to it: ${isa.problems.join('; ')}`;
  }
  const info: RunnerInfo = {
    id: 'torch',
    kind: 'peer',
    label: 'PyTorch cpu',
    version: String(hello.torch),
    threads: Number(hello.threads),
    requestedThreads: threads,
    threadsNote: Number(hello.threads) === threads ? undefined : `torch.get_num_threads() is ${String(hello.threads)}`,
    device: (hello.config as string[] | undefined)?.join('; '),
    isa: isa.isa,
    notes: [
      'timed inside the Python process (no IPC in the loop); inputs and weights copied from the harness as float32 files',
      `glibc malloc without mmap or trimming (MALLOC_MMAP_MAX_=0, MALLOC_TRIM_THRESHOLD_=2^40): freed activations are reused, not faulted in again each call`,
      `best of OMP_WAIT_POLICY=PASSIVE and ACTIVE (GOMP_SPINCOUNT=${ACTIVE_SPINCOUNT}, after each batch an untimed wait until its threads are idle, at most ${cooldown} s) x eager / channels_last / torch.jit.freeze (inference), picked per workload by a probe; the pick is in each result's variant`,
    ],
  };
  return new TorchRunner(children, info, options);
}

interface Variant {
  policy: WaitPolicy;
  channelsLast: boolean;
  freeze: boolean;
}

const variantName = (v: Variant): string => `${v.policy}${v.freeze ? ' jit.freeze' : ''}${v.channelsLast ? ' channels_last' : ' contiguous'}`;

/** The configurations worth trying for a workload. */
export function torchVariants(w: Workload): Variant[] {
  const s = w.spec;
  const layouts = s.kind === 'pool2d' || (s.kind === 'conv2d' && s.pass === 'forward') || (s.kind === 'model' && s.mode === 'infer') ? [false, true] : [false];
  const freezes = s.kind === 'model' && s.mode === 'infer' ? [false, true] : [false];
  const out: Variant[] = [];
  for (const policy of ['PASSIVE', 'ACTIVE'] as const) for (const freeze of freezes) for (const channelsLast of layouts) out.push({ policy, channelsLast, freeze });
  return out;
}

/** The pick per (threads, workload): later repeats of the suite reuse it instead of probing again. */
const picked = new Map<string, { variant: Variant; probes: Record<string, number> }>();

class TorchRunner implements Runner {
  private readonly dir = mkdtempSync(join(tmpdir(), 'stridenet-bench-torch-'));
  private rotation = 0;

  constructor(
    private readonly children: Record<WaitPolicy, PythonChild>,
    readonly info: RunnerInfo,
    private readonly options: TorchOptions,
  ) {}

  supports(w: Workload): true | string {
    const s = w.spec;
    if ((s.kind === 'conv2d' || s.kind === 'pool2d') && !(s.pads[0] === s.pads[1] && s.pads[2] === s.pads[3])) {
      return 'PyTorch conv/pool take symmetric padding only';
    }
    return true;
  }

  /** The request that sets up a workload in the child: inputs, weights and labels as float32 / int32 files. */
  private message(w: Workload, inputs: WorkloadInputs): Record<string, unknown> {
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
    return msg;
  }

  private async setUp(child: PythonChild, msg: Record<string, unknown>, v: Variant): Promise<void> {
    try {
      await child.call({ ...msg, variant: { channelsLast: v.channelsLast, freeze: v.freeze } });
    } catch (e) {
      const m = String((e as Error).message);
      if (m.includes('unsupported')) throw new Error(m.replace('PyTorch: ValueError: ', ''));
      throw e;
    }
  }

  /** Milliseconds per iteration of one configuration: one warm call, then batches until probeSeconds. */
  private async probe(child: PythonChild): Promise<number> {
    await child.call({ cmd: 'run', n: 1 });
    let n = 1;
    for (;;) {
      const s = Number((await child.call({ cmd: 'run', n })).seconds);
      if (s >= this.options.probeSeconds || n >= 10_000) return (s * 1000) / n;
      n = Math.min(10_000, Math.max(n + 1, Math.ceil((n * this.options.probeSeconds * 1.05) / Math.max(s, 1e-7))));
    }
  }

  async prepare(w: Workload, inputs: WorkloadInputs): Promise<Prepared> {
    const msg = this.message(w, inputs);
    const key = `${this.info.requestedThreads}|${w.id}`;
    let pick = picked.get(key);
    if (!pick && this.options.probeSeconds === 0) {
      const vs = torchVariants(w);
      pick = { variant: vs[this.rotation++ % vs.length]!, probes: {} };
    } else if (!pick) {
      const probes: Record<string, number> = {};
      let best: { v: Variant; ms: number } | undefined;
      for (const v of torchVariants(w)) {
        const child = this.children[v.policy];
        await this.setUp(child, msg, v);
        const ms = await this.probe(child);
        await child.call({ cmd: 'dispose' });
        probes[variantName(v)] = ms;
        if (!best || ms < best.ms) best = { v, ms };
      }
      pick = { variant: best!.v, probes };
      picked.set(key, pick);
    }
    const child = this.children[pick.variant.policy];
    await this.setUp(child, msg, pick.variant);
    const dir = this.dir;
    return {
      variant: variantName(pick.variant),
      variants: Object.keys(pick.probes).length ? pick.probes : undefined,
      async runIterations(n) {
        return Number((await child.call({ cmd: 'run', n })).seconds);
      },
      async readback() {
        const s = (await child.call({ cmd: 'readback' })).seconds;
        return s === null || s === undefined ? undefined : Number(s);
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

  trainCheck(w: Workload, inputs: WorkloadInputs, steps: number): Promise<TrainCheck> {
    return this.check(w, inputs, steps, false);
  }

  trainCheckFloat64(w: Workload, inputs: WorkloadInputs, steps: number): Promise<TrainCheck> {
    return this.check(w, inputs, steps, true);
  }

  async trainFlips(w: Workload, inputs: WorkloadInputs, band: number, groups: number): Promise<ReluFlips> {
    const exact = (await this.check(w, inputs, 1, true)).params;
    const flipped: Record<string, Float32Array>[] = [];
    for (let g = 0; g < groups; g++) flipped.push((await this.check(w, inputs, 1, true, [band, g, groups])).params);
    return { band, exact, flipped };
  }

  private async check(w: Workload, inputs: WorkloadInputs, steps: number, float64: boolean, flip?: [number, number, number]): Promise<TrainCheck> {
    if (!inputs.model) throw new Error(`${w.id}: the training check needs a model workload`);
    const path = join(this.dir, 'check.f32');
    const reply = await this.children.PASSIVE.call({ ...this.message(w, inputs), cmd: 'train_check', steps, path, float64, ...(flip ? { flip } : {}) });
    const b = readFileSync(path);
    const all = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    // Layout: the losses, then (when more than one step ran) every weight after step 1, then after the last.
    let offset = steps;
    const readParams = () => {
      const params: Record<string, Float32Array> = {};
      for (const name of reply.names as string[]) {
        const n = inputs.model!.weights[name]!.data.length;
        params[name] = all.slice(offset, offset + n);
        offset += n;
      }
      return params;
    };
    const firstStepParams = reply.first ? readParams() : undefined;
    const params = readParams();
    if (offset !== all.length) throw new Error(`torch train_check wrote ${all.length} floats, expected ${offset}`);
    return { losses: all.slice(0, steps), params, ...(firstStepParams ? { firstStepParams } : {}) };
  }

  async close(): Promise<void> {
    try {
      for (const c of Object.values(this.children)) await c.call({ cmd: 'exit' }).catch(() => undefined);
    } finally {
      for (const c of Object.values(this.children)) c.proc.kill();
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
