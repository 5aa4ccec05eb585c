import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { WorkloadInputs } from '../data.js';
import type { ModelIr } from '../model-ir.js';
import { encodeModel, type OnnxGraph, type OnnxNode } from '@stridenet/onnx';
import type { Workload } from '../workloads.js';
import type { Prepared, Runner, RunnerInfo } from './types.js';
import { CPUID_MASK_ENV, buildCpuidMask, cpuidMaskEnv, cpuidMaskProblems, cpuidMaskUnavailable, parseCpuidMaskReport } from '../cpuid-mask.js';
import { cpuFlags } from '../env.js';
import { ONNX_CPUID_MASK_NOTE, onnxIsa, onnxNotHeldNote, type PeerIsa } from '../peer-isa.js';
import type { OrtReply, OrtRequest } from './onnx-protocol.js';

/** The child's entry: dist/onnx-child.js (built) or src/runners/onnx-child.ts (source, run under tsx's loader). */
function childEntry(): { path: string; execArgv: string[] } {
  for (const rel of ['./onnx-child.js', './onnx-child.ts']) {
    const path = fileURLToPath(new URL(rel, import.meta.url));
    if (!existsSync(path)) continue;
    return { path, execArgv: path.endsWith('.ts') ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href] : [] };
  }
  throw new Error('onnx-child.js not found next to the harness');
}

/** The forked ONNX Runtime child, one request at a time. */
class OrtChild {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: OrtReply) => void; reject: (e: Error) => void }>();
  private stderr = '';
  private exited?: string;

  constructor(readonly proc: ChildProcess) {
    proc.stderr?.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-2000);
    });
    proc.on('message', (m: OrtReply & { id: number }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.error !== undefined) p.reject(new Error(`ONNX Runtime: ${m.error}`));
      else p.resolve(m);
    });
    proc.on('exit', (code, signal) => {
      this.exited = `the ONNX Runtime child exited (${signal ?? `code ${code}`})${this.stderr.trim() ? `: ${this.stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}`;
      for (const p of this.pending.values()) p.reject(new Error(this.exited));
      this.pending.clear();
    });
  }

  call(msg: OrtRequest): Promise<OrtReply> {
    if (this.exited) return Promise.reject(new Error(this.exited));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.proc.send({ ...msg, id }, (e) => {
        if (e && this.pending.delete(id)) reject(e);
      });
    });
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    await this.call({ cmd: 'exit' }).catch(() => undefined);
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(timer);
  }
}

/**
 * The child's environment: under a hold the shim in LD_PRELOAD and glibc's tunable (cpuid-mask.ts
 * cpuidMaskEnv); otherwise the caller's, without the shim's read-back variable (a stale one would pass
 * for a mask that is not there).
 */
export function onnxChildEnv(shim: string | undefined, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env = { ...base };
  delete env[CPUID_MASK_ENV];
  return shim ? cpuidMaskEnv(shim, env) : env;
}

function forkChild(shim: string | undefined): OrtChild {
  const entry = childEntry();
  const proc = fork(entry.path, [], {
    execArgv: entry.execArgv,
    env: onnxChildEnv(shim),
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  return new OrtChild(proc);
}

export interface OnnxOptions {
  /** The compiled CPUID mask for --peer-isa avx2 (default: cpuid-mask.ts buildCpuidMask); tests inject a failing one. */
  buildMask?: () => string;
}

/**
 * ONNX Runtime (CPU execution provider), inference only: graphs are built from the same IR and weights.
 * It runs in a child process (onnx-child.ts) under either setting, one code path; under `--peer-isa avx2`
 * on an AVX-512 CPU that child starts with the CPUID mask (cpuid-mask.ts), and the runner does not start
 * when the child's CPUID still shows AVX-512. Where the mask cannot be built (not Linux x64, no CPUID
 * faulting, no compiler) the child runs unheld and says why (ISA 'AVX-512 (not held)', a note).
 */
export async function createOnnxRunner(threads: number, peerIsa: PeerIsa = 'auto', options: OnnxOptions = {}): Promise<Runner | string> {
  try {
    createRequire(import.meta.url).resolve('onnxruntime-node');
  } catch (e) {
    return `onnxruntime-node not installed: ${String(e).split('\n')[0]}`;
  }
  const flags = cpuFlags();
  let shim: string | undefined;
  let notHeld: string | undefined;
  if (peerIsa === 'avx2' && flags.includes('avx512f')) {
    notHeld = cpuidMaskUnavailable();
    if (!notHeld) {
      try {
        shim = (options.buildMask ?? buildCpuidMask)();
      } catch (e) {
        notHeld = (e as Error).message;
      }
    }
  }
  const child = forkChild(shim);
  let hello: OrtReply;
  try {
    hello = await child.call({ cmd: 'hello' });
  } catch (e) {
    child.proc.kill('SIGKILL');
    return `onnxruntime-node does not load in its child process: ${firstLineOf(e)}`;
  }
  if (shim) {
    const problems = cpuidMaskProblems(parseCpuidMaskReport(hello.mask ?? undefined));
    if (problems.length) {
      child.proc.kill('SIGKILL');
      return `--peer-isa avx2 cannot hold ONNX Runtime to AVX2: ${problems.join('; ')}`;
    }
  }
  const info: RunnerInfo = {
    id: 'onnxruntime',
    kind: 'peer',
    label: 'ONNX Runtime cpu',
    version: hello.version ?? 'unknown',
    threads,
    requestedThreads: threads,
    device: 'CPU execution provider (MLAS)',
    isa: onnxIsa(flags, peerIsa, shim !== undefined),
    notes: [
      ...(shim ? [ONNX_CPUID_MASK_NOTE] : []),
      ...(notHeld ? [onnxNotHeldNote(notHeld)] : []),
      'inference only; session creation (graph optimisation, weight pre-packing) is reported as prepare time',
      'weights are graph initializers (constant), so MLAS can pre-pack them; outputs are written into a preallocated JavaScript buffer inside run()',
      'runs in a child process (timed there: no IPC in the loop), which waits for its pool workers to idle before and after each timed batch',
    ],
  };
  return new OnnxRunner(child, threads, info, shim !== undefined);
}

const firstLineOf = (e: unknown) => String((e as Error)?.message ?? e).split('\n')[0];

/** ONNX pads are [top, left, bottom, right]. */
const onnxPads = (p: readonly number[]) => [p[0]!, p[2]!, p[1]!, p[3]!];

export function modelGraph(ir: ModelIr, batch: number, numClasses: number): OnnxGraph {
  const nodes: OnnxNode[] = [];
  const alias = new Map<string, string>([['input', 'input']]);
  const name = (n: string) => alias.get(n) ?? n;
  const used = new Set<string>();
  const use = (w: string) => (used.add(w), w);
  for (const n of ir.nodes) {
    switch (n.op) {
      case 'conv': {
        const k = ir.weights[n.weight]!.shape;
        const out = n.relu ? `${n.name}:pre` : n.name;
        nodes.push({
          op: 'Conv',
          inputs: [name(n.input), use(n.weight), ...(n.bias ? [use(n.bias)] : [])],
          outputs: [out],
          attrs: { kernel_shape: [k[2]!, k[3]!], strides: n.stride, pads: onnxPads(n.pads), dilations: n.dilation, group: n.groups },
        });
        if (n.relu) nodes.push({ op: 'Relu', inputs: [out], outputs: [n.name] });
        break;
      }
      case 'dense': {
        const out = n.relu ? `${n.name}:pre` : n.name;
        nodes.push({ op: 'Gemm', inputs: [name(n.input), use(n.weight), ...(n.bias ? [use(n.bias)] : [])], outputs: [out], attrs: { transB: 1 } });
        if (n.relu) nodes.push({ op: 'Relu', inputs: [out], outputs: [n.name] });
        break;
      }
      case 'batchnorm':
        nodes.push({ op: 'BatchNormalization', inputs: [name(n.input), use(n.gamma), use(n.beta), use(n.mean), use(n.variance)], outputs: [n.name], attrs: { epsilon: { float: n.epsilon } } });
        break;
      case 'relu':
        nodes.push({ op: 'Relu', inputs: [name(n.input)], outputs: [n.name] });
        break;
      case 'maxpool':
      case 'avgpool':
        nodes.push({
          op: n.op === 'maxpool' ? 'MaxPool' : 'AveragePool',
          inputs: [name(n.input)],
          outputs: [n.name],
          attrs: { kernel_shape: n.window, strides: n.stride, pads: onnxPads(n.pads), ceil_mode: n.ceilMode ? 1 : 0, ...(n.op === 'avgpool' ? { count_include_pad: n.countIncludePad ? 1 : 0 } : {}) },
        });
        break;
      case 'globalavgpool':
        nodes.push({ op: 'GlobalAveragePool', inputs: [name(n.input)], outputs: [`${n.name}:4d`] });
        nodes.push({ op: 'Flatten', inputs: [`${n.name}:4d`], outputs: [n.name], attrs: { axis: 1 } });
        break;
      case 'flatten':
        nodes.push({ op: 'Flatten', inputs: [name(n.input)], outputs: [n.name], attrs: { axis: 1 } });
        break;
      case 'dropout':
        alias.set(n.name, name(n.input));
        break;
      case 'add':
        nodes.push({ op: 'Add', inputs: [name(n.inputs[0]), name(n.inputs[1])], outputs: [n.name] });
        break;
    }
  }
  const initializers = [...used].map((w) => ({ name: w, shape: ir.weights[w]!.shape, data: ir.weights[w]!.data }));
  return { nodes, initializers, inputs: [{ name: 'input', shape: [batch, ...ir.inputShape] }], outputs: [{ name: name(ir.output), shape: [batch, numClasses] }] };
}

export function opGraph(w: Workload, inputs: WorkloadInputs): { graph: OnnxGraph; feeds: string[] } {
  const s = w.spec;
  const t = inputs.tensors;
  const io = (names: string[]) => names.map((n) => ({ name: n, shape: t[n]!.shape }));
  // Weights as initializers, not inputs: ONNX Runtime pre-packs constant weights (as it does in a model).
  const init = (names: string[]) => names.map((n) => ({ name: n, shape: [...t[n]!.shape], data: t[n]!.data }));
  const out = [{ name: 'y', shape: inputs.outShape }];
  switch (s.kind) {
    case 'conv2d':
      return {
        graph: {
          nodes: [{ op: 'Conv', inputs: ['x', 'filter'], outputs: ['y'], attrs: { kernel_shape: [s.filter[2], s.filter[3]], strides: [...s.stride], pads: onnxPads(s.pads), dilations: [...s.dilation], group: s.groups } }],
          initializers: init(['filter']),
          inputs: io(['x']),
          outputs: out,
        },
        feeds: ['x'],
      };
    case 'pool2d':
      return {
        graph: {
          nodes: [{ op: s.pool === 'max' ? 'MaxPool' : 'AveragePool', inputs: ['x'], outputs: ['y'], attrs: { kernel_shape: [...s.window], strides: [...s.stride], pads: onnxPads(s.pads), ceil_mode: s.ceilMode ? 1 : 0, ...(s.pool === 'avg' ? { count_include_pad: s.countIncludePad ? 1 : 0 } : {}) } }],
          initializers: [],
          inputs: io(['x']),
          outputs: out,
        },
        feeds: ['x'],
      };
    case 'dense':
      return { graph: { nodes: [{ op: 'Gemm', inputs: ['x', 'w', 'b'], outputs: ['y'], attrs: { transB: 1 } }], initializers: init(['w', 'b']), inputs: io(['x']), outputs: out }, feeds: ['x'] };
    case 'matmul':
      // B is the weight operand: constant, as in a model.
      return { graph: { nodes: [{ op: 'MatMul', inputs: ['a', 'b'], outputs: ['y'] }], initializers: init(['b']), inputs: io(['a']), outputs: out }, feeds: ['a'] };
    default:
      throw new Error(`onnx: no op graph for ${w.id}`);
  }
}

class OnnxRunner implements Runner {
  constructor(
    private readonly child: OrtChild,
    private readonly threads: number,
    readonly info: RunnerInfo,
    private readonly held: boolean,
  ) {}

  /** The child's process id (affinity checks). */
  get pid(): number | undefined {
    return this.child.proc.pid;
  }

  /** The shim's counts in the child (held only): CPUIDs emulated, SIGSEGVs passed on. */
  async shimCounts(): Promise<{ emulated?: number; passed?: number }> {
    const r = await this.child.call({ cmd: 'counts' });
    return { emulated: r.emulated, passed: r.passed };
  }

  supports(w: Workload): true | string {
    const s = w.spec;
    if (s.kind === 'model' && s.mode === 'train') return 'ONNX Runtime is benchmarked for inference only';
    if (s.kind === 'conv2d' && s.pass !== 'forward') return 'ONNX Runtime has no convolution gradient kernels (inference only)';
    if (s.kind === 'pool2d' && s.pass === 'forward-train') return 'ONNX Runtime is benchmarked for inference only';
    if (s.kind === 'pool2d' && s.pass) return 'ONNX Runtime has no pooling gradient kernels (inference only)';
    if (s.kind === 'pool2d' && s.ceilMode && s.pads.some((p) => p > 0)) return 'ONNX ceil-mode pooling with padding differs from PyTorch at the border';
    return true;
  }

  async prepare(w: Workload, inputs: WorkloadInputs): Promise<Prepared> {
    const s = w.spec;
    let graph: OnnxGraph;
    let feedNames: string[];
    if (s.kind === 'model') {
      graph = modelGraph(inputs.model!, s.batch, s.numClasses);
      feedNames = ['input'];
    } else {
      ({ graph, feeds: feedNames } = opGraph(w, inputs));
    }
    const feeds = feedNames.map((n) => {
      const t = s.kind === 'model' ? inputs.tensors.x! : inputs.tensors[n]!;
      return { name: n, data: t.data, shape: [...t.shape] };
    });
    const child = this.child;
    const held = this.held;
    const { handle } = await child.call({ cmd: 'prepare', model: encodeModel(graph), feeds, outName: graph.outputs[0]!.name, outShape: [...inputs.outShape], threads: this.threads });
    return {
      async runIterations(n) {
        const r = await child.call({ cmd: 'run', handle: handle!, n, settle: true });
        // A CPUID inside the timed loop would put the trap's cost (two system calls) into the held figures only.
        if (held && r.emulatedInBatch) throw new Error(`${w.id}: ${r.emulatedInBatch} CPUID instruction(s) trapped inside a timed batch; the held timing would include the CPUID mask's cost`);
        return r.seconds!;
      },
      // The output already lands in JavaScript memory inside run(): nothing is left to copy.
      readback: async () => undefined,
      async output() {
        return (await child.call({ cmd: 'output', handle: handle! })).data!;
      },
      backendBytes: () => 0,
      rss: async () => (await child.call({ cmd: 'rss' })).rss!,
      async dispose() {
        await child.call({ cmd: 'dispose', handle: handle! });
        return undefined;
      },
    };
  }

  async close(): Promise<void> {
    await this.child.close();
  }
}
