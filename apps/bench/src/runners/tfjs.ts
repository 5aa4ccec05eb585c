import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { WorkloadInputs } from '../data.js';
import type { ModelIr } from '../model-ir.js';
import type { Workload } from '../workloads.js';
import type { Prepared, Runner, RunnerInfo, TrainCheck } from './types.js';
import { withoutDropout } from '../verify.js';

/* TF.js is an optional peer: typed loosely so the harness builds without it. */
type Tf = any; // eslint-disable-line @typescript-eslint/no-explicit-any
type T = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const require = createRequire(import.meta.url);
let tfPromise: Promise<Tf> | undefined;
/** Why TF.js cannot train here, when its gradients did not load. */
let noGradients: string | undefined;

async function loadTf(): Promise<Tf> {
  tfPromise ??= (async () => {
    // CommonJS everywhere (the packages' `main`): their ESM builds use extensionless imports that only a
    // bundler resolves, and mixing ESM and CJS builds gives two engines that lose each other's data.
    const tf = require('@tensorflow/tfjs-core') as Tf;
    require('@tensorflow/tfjs-backend-cpu');
    // tfjs-core alone registers no gradients (the tfjs umbrella package bundles them), and the file that
    // registers them exists only as an ESM build with extensionless imports, which Node cannot resolve.
    // The bench's build bundles that file (tsup.config.ts), so the import below is a local chunk there
    // and the package file under a TypeScript loader (tsx). Its ops reach the same engine and registries
    // (tfjs keeps them on globalThis) and its Tensor checks are structural, so the two builds agree.
    try {
      await import('@tensorflow/tfjs-core/dist/register_all_gradients');
    } catch (e) {
      noGradients = `TF.js gradients did not load: ${String((e as Error).message ?? e).split('\n')[0]!.slice(0, 160)}`;
    }
    return tf;
  })();
  return tfPromise;
}

/** TF.js with its cpu (plain JS) or wasm (XNNPACK, single-threaded under Node) backend, NHWC inside. */
export async function createTfjsRunner(id: 'tfjs-cpu' | 'tfjs-wasm', _threads: number): Promise<Runner | string> {
  let tf: Tf;
  try {
    tf = await loadTf();
  } catch (e) {
    return `@tensorflow/tfjs-core / tfjs-backend-cpu not installed: ${String(e).split('\n')[0]}`;
  }
  const name = id === 'tfjs-cpu' ? 'cpu' : 'wasm';
  if (name === 'wasm') {
    try {
      const wasm = require('@tensorflow/tfjs-backend-wasm') as Tf;
      // Node has no fetch of relative URLs: point the loader at the package's own .wasm files.
      const dist = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/';
      (wasm as any).setWasmPaths(dist); // eslint-disable-line @typescript-eslint/no-explicit-any
    } catch (e) {
      return `@tensorflow/tfjs-backend-wasm not installed: ${String(e).split('\n')[0]}`;
    }
  }
  try {
    if (!(await tf.setBackend(name))) return `TF.js backend '${name}' failed to initialise`;
    await tf.ready();
  } catch (e) {
    return `TF.js backend '${name}' failed: ${String(e).split('\n')[0]}`;
  }
  // XNNPACK's wasm build runs 128-bit SIMD where the engine has it (Node does), else scalar wasm.
  const simd = name === 'wasm' ? Boolean(await Promise.resolve(tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')).catch(() => false)) : false;
  const info: RunnerInfo = {
    id,
    kind: 'peer',
    label: `TF.js ${name}`,
    version: tf.version_core as string,
    threads: 1,
    requestedThreads: _threads,
    threadsNote: _threads === 1 ? undefined : name === 'cpu' ? 'TF.js cpu is plain JavaScript: one thread' : 'TF.js wasm runs one thread under Node (its threaded build needs browser workers)',
    device: name === 'cpu' ? 'JavaScript kernels' : 'WebAssembly (XNNPACK), single-threaded under Node',
    isa: name === 'cpu' ? 'scalar JavaScript' : simd ? 'WebAssembly SIMD128 (128-bit vectors on any host)' : 'scalar WebAssembly',
    notes: ['NHWC inside (TF.js layout); inputs transposed once outside the timed loop'],
  };
  return new TfjsRunner(tf, name, info);
}

const nhwc = (tf: Tf, data: Float32Array, shape: readonly number[]): T => tf.tidy(() => tf.transpose(tf.tensor(data, [...shape]), [0, 2, 3, 1]));
const hwio = (tf: Tf, data: Float32Array, shape: readonly number[]): T => tf.tidy(() => tf.transpose(tf.tensor(data, [...shape]), [2, 3, 1, 0]));
/** OIHW depthwise filter [C*mult, 1, kh, kw] -> TF.js [kh, kw, C, mult]. */
const depthwiseFilter = (tf: Tf, data: Float32Array, shape: readonly number[], channels: number): T =>
  tf.tidy(() => tf.transpose(tf.reshape(tf.tensor(data, [...shape]), [channels, shape[0]! / channels, shape[2]!, shape[3]!]), [2, 3, 0, 1]));

function symmetric(p: readonly number[]): number | undefined {
  return p.every((v) => v === p[0]) ? p[0] : undefined;
}

class TfjsRunner implements Runner {
  constructor(
    private readonly tf: Tf,
    private readonly backendName: string,
    readonly info: RunnerInfo,
  ) {}

  supports(w: Workload): true | string {
    const s = w.spec;
    if (s.kind === 'conv2d') {
      const depthwise = s.groups === s.input[1] && s.filter[1] === 1 && s.groups > 1;
      if (s.groups !== 1 && !depthwise) return 'TF.js has no grouped convolution other than depthwise';
      if (s.pass !== 'forward' && (s.dilation[0] > 1 || s.dilation[1] > 1)) return 'TF.js has no dilated convolution gradients';
      if (depthwise && (s.stride[0] !== s.stride[1] || s.dilation[0] !== s.dilation[1])) return 'TF.js depthwise needs equal strides and dilations';
      if (s.dilation[0] > 1 && (s.stride[0] > 1 || s.stride[1] > 1)) return 'TF.js cannot combine dilation and stride';
      if (depthwise && symmetric(s.pads) === undefined && s.pass !== 'forward') return 'TF.js depthwise gradients need symmetric padding';
      return true;
    }
    if (s.kind === 'pool2d') {
      if (s.pass === 'forward-train') return 'TF.js has no max pooling that returns the selected inputs';
      if (s.pass) return 'the TF.js runner times pooling forwards only';
      if (s.ceilMode) return 'TF.js pooling has no PyTorch-style ceil mode';
      if (symmetric(s.pads) === undefined) return 'TF.js pooling needs symmetric padding';
      if (s.pool === 'avg' && s.countIncludePad && s.pads.some((p) => p > 0)) return 'TF.js average pooling never counts padded cells';
      return true;
    }
    if (s.kind === 'model' && s.mode === 'train' && noGradients) return noGradients;
    if (s.kind === 'model') {
      // Max pooling with padding is expressible; 'same'-style asymmetric pads are not used by the zoo.
      return true;
    }
    return true;
  }

  async prepare(w: Workload, inputs: WorkloadInputs): Promise<Prepared> {
    const tf = this.tf;
    await tf.setBackend(this.backendName);
    const before = tf.memory().numTensors as number;
    const held: T[] = [];
    const hold = <X>(t: X): X => (held.push(t), t);
    const s = w.spec;
    const tin = inputs.tensors;
    let step: () => T;
    let toNchw = false;
    let lossMode = false;
    let cleanup = () => {};
    switch (s.kind) {
      case 'conv2d': {
        const [t, b, l, r] = s.pads;
        const pad = [[0, 0], [t, b], [l, r], [0, 0]];
        const padNum = symmetric(s.pads);
        const depthwise = s.groups > 1;
        const C = s.input[1];
        const filter = tin.filter ? hold(depthwise ? depthwiseFilter(tf, tin.filter.data, tin.filter.shape, C) : hwio(tf, tin.filter.data, tin.filter.shape)) : undefined;
        const strides: [number, number] = [s.stride[0], s.stride[1]];
        const dil: [number, number] = [s.dilation[0], s.dilation[1]];
        const inShapeNhwc = [s.input[0], s.input[2], s.input[3], s.input[1]];
        if (s.pass === 'forward') {
          const x = hold(nhwc(tf, tin.x!.data, tin.x!.shape));
          // With a numeric pad TF.js leaves fractional output sizes unrounded unless told to floor (as PyTorch does).
          const p = padNum === 0 ? 'valid' : (padNum ?? pad);
          const rounding = typeof p === 'number' ? 'floor' : undefined;
          step = depthwise ? () => tf.depthwiseConv2d(x, filter, strides, p, 'NHWC', dil, rounding) : () => tf.conv2d(x, filter, strides, p, 'NHWC', dil, rounding);
          toNchw = true;
        } else if (s.pass === 'backward-input') {
          const dy = hold(nhwc(tf, tin.dy!.data, tin.dy!.shape));
          step = depthwise
            ? () => tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter }, { strides, dilations: dil, pad: padNum, inputShape: inShapeNhwc })
            : () => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, { strides, pad: padNum ?? pad, dataFormat: 'NHWC', inputShape: inShapeNhwc });
          toNchw = true;
        } else {
          const x = hold(nhwc(tf, tin.x!.data, tin.x!.shape));
          const dy = hold(nhwc(tf, tin.dy!.data, tin.dy!.shape));
          const [O, I, kh, kw] = s.filter;
          step = depthwise
            ? () => tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { strides, dilations: dil, pad: padNum, filterShape: [kh, kw, C, O / C] })
            : () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides, pad: padNum ?? pad, dataFormat: 'NHWC', filterShape: [kh, kw, I, O] });
          // Back to OIHW for the deviation check.
          const back = (y: T) => (depthwise ? tf.reshape(tf.transpose(y, [2, 3, 0, 1]), [O, 1, kh, kw]) : tf.transpose(y, [3, 2, 0, 1]));
          const raw = step;
          return this.finish(w, () => raw(), back, held, before);
        }
        break;
      }
      case 'pool2d': {
        const x = hold(nhwc(tf, tin.x!.data, tin.x!.shape));
        // 'valid' for no padding: a numeric 0 with a non-dividing stride gets a different output size in TF.js.
        const p = symmetric(s.pads)!;
        const [pad, rounding] = p === 0 ? ['valid', undefined] : [p, 'floor'];
        step = s.pool === 'max' ? () => tf.maxPool(x, [...s.window], [...s.stride], pad, rounding) : () => tf.avgPool(x, [...s.window], [...s.stride], pad, rounding);
        toNchw = true;
        break;
      }
      case 'dense': {
        const x = hold(tf.tensor(tin.x!.data, [...tin.x!.shape]));
        const wt = hold(tf.tensor(tin.w!.data, [...tin.w!.shape]));
        const b = hold(tf.tensor(tin.b!.data, [...tin.b!.shape]));
        step = this.backendName === 'wasm' ? () => tf.tidy(() => tf.add(tf.matMul(x, wt, false, true), b)) : () => tf.fused.matMul({ a: x, b: wt, transposeB: true, bias: b });
        break;
      }
      case 'matmul': {
        const a = hold(tf.tensor(tin.a!.data, [...tin.a!.shape]));
        const b = hold(tf.tensor(tin.b!.data, [...tin.b!.shape]));
        step = () => tf.matMul(a, b);
        break;
      }
      case 'model': {
        const x = hold(nhwc(tf, tin.x!.data, tin.x!.shape));
        const net = buildTfModel(tf, inputs.model!, this.backendName === 'wasm');
        if (s.mode === 'infer') {
          step = () => tf.tidy(() => net.forward(x, false));
        } else {
          lossMode = true;
          const onehot = hold(tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(inputs.labels!, 'int32'), s.numClasses), 'float32')));
          const opt = tf.train.momentum(0.01, 0.9);
          step = () => opt.minimize(() => tf.losses.softmaxCrossEntropy(onehot, net.forward(x, true)), true, net.trainables);
          cleanup = () => {
            opt.dispose();
          };
        }
        const c0 = cleanup;
        cleanup = () => {
          c0();
          net.dispose();
        };
        break;
      }
    }
    return this.finish(w, step!, toNchw ? (y: T) => tf.transpose(y, [0, 3, 1, 2]) : undefined, held, before, cleanup, lossMode);
  }

  private finish(w: Workload, step: () => T, back: ((y: T) => T) | undefined, held: T[], before: number, cleanup = () => {}, lossMode = false): Prepared {
    const tf = this.tf;
    const backendName = this.backendName;
    let first: Float32Array | undefined;
    return {
      // The cpu and wasm kernels run synchronously: the work is done when an op returns, so only the
      // first (checked) output is read; read-back is timed apart.
      async runIterations(n) {
        if (tf.getBackend() !== backendName) await tf.setBackend(backendName);
        const t0 = performance.now();
        for (let i = 0; i < n; i++) {
          const y = step();
          if (!first) {
            const data = (await y.data()) as Float32Array;
            first = lossMode ? Float32Array.of(data[0]!) : back ? ((await tf.tidy(() => back(y)).data()) as Float32Array) : new Float32Array(data);
          }
          y.dispose();
        }
        return (performance.now() - t0) / 1000;
      },
      async readback() {
        if (lossMode) return undefined;
        if (tf.getBackend() !== backendName) await tf.setBackend(backendName);
        const y = step();
        try {
          const t0 = performance.now();
          await y.data();
          return (performance.now() - t0) / 1000;
        } finally {
          y.dispose();
        }
      },
      async output() {
        if (!first) throw new Error(`${w.id}: no output yet`);
        return first;
      },
      backendBytes: () => tf.memory().numBytes as number,
      rss: async () => process.memoryUsage.rss(),
      async dispose() {
        cleanup();
        for (const t of held) t.dispose();
        return (tf.memory().numTensors as number) - before;
      },
    };
  }

  async trainCheck(w: Workload, inputs: WorkloadInputs, steps: number): Promise<TrainCheck> {
    const tf = this.tf;
    const s = w.spec;
    if (s.kind !== 'model' || !inputs.model) throw new Error(`${w.id}: the training check needs a model workload`);
    if (noGradients) throw new Error(noGradients);
    await tf.setBackend(this.backendName);
    const ir = withoutDropout(inputs.model);
    const x = nhwc(tf, inputs.tensors.x!.data, inputs.tensors.x!.shape);
    const onehot = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(inputs.labels!, 'int32'), s.numClasses), 'float32'));
    const net = buildTfModel(tf, ir, this.backendName === 'wasm');
    const opt = tf.train.momentum(0.01, 0.9);
    try {
      const readParams = async () => {
        const params: Record<string, Float32Array> = {};
        for (const [name, t] of net.named) {
          if (!ir.weights[name]!.trainable) continue;
          // Convolution filters live as HWIO here: back to OIHW for the comparison.
          const isConv = ir.nodes.some((n) => n.op === 'conv' && n.weight === name);
          const back = isConv ? tf.transpose(t, [3, 2, 0, 1]) : t;
          params[name] = new Float32Array(await back.data());
          if (back !== t) back.dispose();
        }
        return params;
      };
      const losses = new Float32Array(steps);
      let firstStepParams: Record<string, Float32Array> | undefined;
      for (let i = 0; i < steps; i++) {
        const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(onehot, net.forward(x, true)), true, net.trainables);
        losses[i] = (await loss.data())[0];
        loss.dispose();
        if (i === 0 && steps > 1) firstStepParams = await readParams();
      }
      return { losses, params: await readParams(), ...(firstStepParams ? { firstStepParams } : {}) };
    } finally {
      opt.dispose();
      net.dispose();
      x.dispose();
      onehot.dispose();
    }
  }

  async close(): Promise<void> {}
}

interface TfNet {
  forward(x: T, training: boolean): T;
  trainables: T[];
  /** IR parameter name -> TF.js tensor (convolution filters HWIO). */
  named: Map<string, T>;
  dispose(): void;
}

/** The IR as TF.js ops in NHWC; dense layers after a flatten see PyTorch's (C, H, W) order. */
function buildTfModel(tf: Tf, ir: ModelIr, wasm: boolean): TfNet {
  const vars = new Map<string, T>();
  const v = (name: string, f: (t: T) => T = (t) => t): T => {
    const key = `${name}`;
    let t = vars.get(key);
    if (!t) {
      const wgt = ir.weights[name]!;
      const raw = tf.tensor(wgt.data, wgt.shape);
      const shaped = tf.tidy(() => f(raw));
      if (shaped !== raw) raw.dispose();
      t = wgt.trainable ? tf.variable(shaped, true, `${ir.name}/${name}/${Math.random()}`) : shaped;
      if (wgt.trainable) shaped.dispose();
      vars.set(key, t);
    }
    return t;
  };
  // Materialise every weight now so preparation, not the first run, pays for uploads.
  const convW = (name: string) => v(name, (t) => tf.transpose(t, [2, 3, 1, 0]));
  for (const n of ir.nodes) {
    if (n.op === 'conv') {
      convW(n.weight);
      if (n.bias) v(n.bias);
    } else if (n.op === 'dense') {
      v(n.weight);
      if (n.bias) v(n.bias);
    } else if (n.op === 'batchnorm') {
      v(n.gamma), v(n.beta), v(n.mean), v(n.variance);
    }
  }
  const forward = (x: T, training: boolean): T => {
    const values = new Map<string, T>([['input', x]]);
    let flat = false;
    for (const n of ir.nodes) {
      const inp = 'input' in n ? values.get(n.input) : undefined;
      let y: T;
      switch (n.op) {
        case 'conv': {
          if (n.groups !== 1) throw new Error(`TF.js runner: grouped conv '${n.name}' is not translated`);
          const [t, b, l, r] = n.pads;
          const pad = symmetric(n.pads) ?? [[0, 0], [t, b], [l, r], [0, 0]];
          y = tf.fused.conv2d({ x: inp, filter: convW(n.weight), strides: n.stride, pad, dataFormat: 'NHWC', dilations: n.dilation, bias: n.bias ? v(n.bias) : undefined, activation: n.relu ? 'relu' : 'linear' });
          break;
        }
        case 'dense':
          // TF.js 4.22 wasm's fused matMul with transposeB and bias returns wrong values (0.1 relative
          // error against every other runner): the unfused ops are used there.
          if (wasm) {
            const z = tf.matMul(inp, v(n.weight), false, true);
            const zb = n.bias ? tf.add(z, v(n.bias)) : z;
            y = n.relu ? tf.relu(zb) : zb;
            break;
          }
          y = tf.fused.matMul({ a: inp, b: v(n.weight), transposeB: true, bias: n.bias ? v(n.bias) : undefined, activation: n.relu ? 'relu' : 'linear' });
          break;
        case 'batchnorm':
          if (training) {
            const m = tf.moments(inp, [0, 1, 2]);
            y = tf.batchNorm(inp, m.mean, m.variance, v(n.beta), v(n.gamma), n.epsilon);
          } else {
            y = tf.batchNorm(inp, v(n.mean), v(n.variance), v(n.beta), v(n.gamma), n.epsilon);
          }
          break;
        case 'relu':
          y = tf.relu(inp);
          break;
        case 'maxpool':
        case 'avgpool': {
          const pad = symmetric(n.pads);
          if (pad === undefined || n.ceilMode) throw new Error(`TF.js runner: pool '${n.name}' needs symmetric padding and floor mode`);
          const [tp, rounding] = pad === 0 ? ['valid', undefined] : [pad, 'floor'];
          y = n.op === 'maxpool' ? tf.maxPool(inp, n.window, n.stride, tp, rounding) : tf.avgPool(inp, n.window, n.stride, tp, rounding);
          break;
        }
        case 'globalavgpool':
          y = tf.mean(inp, [1, 2]);
          flat = true;
          break;
        case 'flatten':
          y = flat || inp.rank === 2 ? inp : tf.reshape(tf.transpose(inp, [0, 3, 1, 2]), [inp.shape[0], -1]);
          flat = true;
          break;
        case 'dropout':
          y = training && n.rate > 0 ? tf.dropout(inp, n.rate) : inp;
          break;
        case 'add':
          y = tf.add(values.get(n.inputs[0])!, values.get(n.inputs[1])!);
          break;
      }
      values.set(n.name, y);
    }
    return values.get(ir.output)!;
  };
  return {
    forward,
    trainables: [...vars.entries()].filter(([k]) => ir.weights[k]!.trainable).map(([, t]) => t),
    named: vars,
    dispose: () => {
      for (const t of vars.values()) t.dispose();
    },
  };
}
