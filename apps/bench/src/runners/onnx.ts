import type { WorkloadInputs } from '../data.js';
import type { ModelIr } from '../model-ir.js';
import { encodeModel, type OnnxGraph, type OnnxNode } from '@stridenet/onnx';
import type { Workload } from '../workloads.js';
import type { Prepared, Runner, RunnerInfo } from './types.js';
import { cpuFlags } from '../env.js';
import { ONNX_NO_SWITCH_NOTE, onnxIsa, type PeerIsa } from '../peer-isa.js';

type Ort = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** ONNX Runtime (CPU execution provider), inference only: graphs are built from the same IR and weights. */
export async function createOnnxRunner(threads: number, peerIsa: PeerIsa = 'auto'): Promise<Runner | string> {
  let ort: Ort;
  try {
    const mod = await import('onnxruntime-node');
    ort = (mod as { default?: Ort }).default ?? mod;
  } catch (e) {
    return `onnxruntime-node not installed: ${String(e).split('\n')[0]}`;
  }
  const flags = cpuFlags();
  const info: RunnerInfo = {
    id: 'onnxruntime',
    kind: 'peer',
    label: 'ONNX Runtime cpu',
    version: ort.env?.versions?.common ?? 'unknown',
    threads,
    requestedThreads: threads,
    device: 'CPU execution provider (MLAS)',
    isa: onnxIsa(flags),
    notes: [
      ...(peerIsa === 'avx2' && flags.includes('avx512f') ? [ONNX_NO_SWITCH_NOTE] : []),
      'inference only; session creation (graph optimisation, weight pre-packing) is reported as prepare time',
      'weights are graph initializers (constant), so MLAS can pre-pack them; outputs are written into a preallocated JavaScript buffer inside run()',
    ],
  };
  return new OnnxRunner(ort, threads, info);
}

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
    private readonly ort: Ort,
    private readonly threads: number,
    readonly info: RunnerInfo,
  ) {}

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
    const ort = this.ort;
    const s = w.spec;
    let graph: OnnxGraph;
    let feedNames: string[];
    if (s.kind === 'model') {
      graph = modelGraph(inputs.model!, s.batch, s.numClasses);
      feedNames = ['input'];
    } else {
      ({ graph, feeds: feedNames } = opGraph(w, inputs));
    }
    const bytes = encodeModel(graph);
    const session = await ort.InferenceSession.create(bytes, {
      executionProviders: ['cpu'],
      intraOpNumThreads: this.threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    });
    const feeds: Record<string, unknown> = {};
    for (const n of feedNames) {
      const t = s.kind === 'model' ? inputs.tensors.x! : inputs.tensors[n]!;
      feeds[n] = new ort.Tensor('float32', t.data, [...t.shape]);
    }
    const outName = graph.outputs[0]!.name;
    const outShape = [...inputs.outShape];
    // A preallocated output: run() writes into it instead of returning a fresh copy each call.
    const outBuf = new Float32Array(outShape.reduce((a, b) => a * b, 1));
    const fetches = { [outName]: new ort.Tensor('float32', outBuf, outShape) };
    let first: Float32Array | undefined;
    return {
      async runIterations(n) {
        const t0 = performance.now();
        for (let i = 0; i < n; i++) {
          await session.run(feeds, fetches);
          if (!first) first = new Float32Array(outBuf);
        }
        return (performance.now() - t0) / 1000;
      },
      // The output already lands in JavaScript memory inside run(): nothing is left to copy.
      readback: async () => undefined,
      async output() {
        if (!first) throw new Error(`${w.id}: no output yet`);
        return first;
      },
      backendBytes: () => 0,
      rss: async () => process.memoryUsage.rss(),
      async dispose() {
        await session.release();
        return undefined;
      },
    };
  }

  async close(): Promise<void> {}
}
