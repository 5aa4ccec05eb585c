import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  Rng,
  Sgd,
  avgPool2d,
  avgPool2dGrad,
  backendEntry,
  compile,
  conv2d,
  conv2dBackpropFilter,
  conv2dBackpropInput,
  createModel,
  matMul,
  maxPool2d,
  maxPool2dArgmax,
  maxPool2dGrad,
  maxPool2dGradArgmax,
  maxPoolRecordsArgmax,
  memory,
  planConv2d,
  planPool2d,
  setBackend,
  startBackend,
  tensor,
  trainStep,
  type Backend,
  type KnownBackendName,
  type Tensor,
} from '@stridenet/core';
import type { WorkloadInputs } from '../data.js';
import type { Workload } from '../workloads.js';
import type { Prepared, Runner, RunnerInfo, TrainCheck } from './types.js';
import { hasDropout, withoutDropout } from '../verify.js';

/**
 * The zoo model with dropout off, for the training check: zoo options name it `dropout` (and the CNN-C
 * family `inputDropout`); options are strict, so only those the model takes are passed.
 */
function createModelWithoutDropout(name: string, options: { seed: number; numClasses: number; inputShape: number[] }, dropout: boolean): ReturnType<typeof createModel> {
  if (!dropout) return createModel(name, options);
  let model: ReturnType<typeof createModel>;
  try {
    model = createModel(name, { ...options, dropout: 0, inputDropout: 0 });
  } catch {
    model = createModel(name, { ...options, dropout: 0 });
  }
  const layers = ((model.toJSON() as { layers?: { type?: string; rate?: number }[] }).layers ?? []).filter((l) => l.type === 'Dropout' && (l.rate ?? 0) > 0);
  if (layers.length) {
    model.dispose();
    throw new Error(`${name}: dropout could not be turned off for the training check (${layers.length} dropout layers left)`);
  }
  return model;
}

/** Core's backend table, in the order the reports list them. */
export const OUR_BACKENDS = ['cpu-js', 'wasm', 'native', 'webgpu'] as const satisfies readonly KnownBackendName[];
export type OurBackend = (typeof OUR_BACKENDS)[number];

const require = createRequire(import.meta.url);

function versionOf(pkg: string): string {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/**
 * Imports a backend package. When the source entry cannot load in plain Node (the WebGPU package
 * imports .wgsl files, which only its bundler understands), its built dist entry is used instead.
 */
async function importBackend(pkg: string): Promise<Record<string, unknown>> {
  try {
    return (await import(pkg)) as Record<string, unknown>;
  } catch (e) {
    if (!/Unknown file extension/.test(String(e))) throw e;
    const dir = dirname(require.resolve(`${pkg}/package.json`));
    return (await import(pathToFileURL(join(dir, 'dist', 'index.js')).href)) as Record<string, unknown>;
  }
}

/** The native backend's ISA paths; runner id `native-<isa>` forces one (`native` is its 'auto' choice). */
export const NATIVE_ISAS = ['avx512', 'avx2', 'neon', 'portable'] as const;
export type NativeIsaRunner = `native-${(typeof NATIVE_ISAS)[number]}`;
export const NATIVE_ISA_RUNNERS = NATIVE_ISAS.map((isa) => `native-${isa}` as NativeIsaRunner);

/** The backend and forced ISA a runner id of ours names: 'native-avx2' is native with `isa: 'avx2'`. */
export function ourRunner(id: string): { name: OurBackend; isa?: (typeof NATIVE_ISAS)[number] } | undefined {
  if ((OUR_BACKENDS as readonly string[]).includes(id)) return { name: id as OurBackend };
  const isa = NATIVE_ISAS.find((i) => id === `native-${i}`);
  return isa ? { name: 'native', isa } : undefined;
}

/**
 * Starts one of our backends through core's table (threads go to the threaded ones; `isa` forces a
 * native path, the runner's id is then `native-<isa>`); a string says why it cannot run.
 */
export async function createStridenetRunner(name: OurBackend, threads: number, isa?: (typeof NATIVE_ISAS)[number]): Promise<Runner | string> {
  const id = isa ? `native-${isa}` : name;
  let backend: Backend;
  try {
    backend = (await startBackend(name, { threads, importer: importBackend, ...(isa ? { factoryOptions: { isa } } : {}) })) as Backend;
  } catch (e) {
    return `${id} cannot start here: ${firstLine(e)}`;
  }
  const bi = backend.info();
  const info: RunnerInfo = {
    id,
    kind: 'stridenet',
    label: isa ? `stridenet ${name} (${isa} forced)` : `stridenet ${name}`,
    version: versionOf(backendEntry(name).packageName!),
    threads: bi.threads ?? 1,
    requestedThreads: threads,
    threadsNote: (bi.threads ?? 1) === threads ? undefined : name === 'wasm' || name === 'native' ? `the backend started ${bi.threads ?? 1} of ${threads} requested threads` : `${name} does not take a thread count`,
    device: bi.device,
    // The native backend names the ISA path its kernels run (NativeBackend.isa); the others have none to name.
    ...(typeof (backend as { isa?: unknown }).isa === 'string' ? { isa: (backend as unknown as { isa: string }).isa } : {}),
    notes: bi.notes,
  };
  return new StridenetRunner(backend, info);
}

export function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split('\n')[0]!;
}

class StridenetRunner implements Runner {
  constructor(
    readonly backend: Backend,
    readonly info: RunnerInfo,
  ) {}

  supports(): true {
    // Capability gaps surface as UnsupportedError from core when the workload is prepared.
    return true;
  }

  async prepare(w: Workload, inputs: WorkloadInputs): Promise<Prepared> {
    await setBackend(this.backend);
    const before = memory().tensors;
    const owned: Tensor[] = [];
    const up = (k: string): Tensor => {
      const t = inputs.tensors[k]!;
      const out = tensor(t.data, [...t.shape]);
      owned.push(out);
      return out;
    };
    let first: Float32Array | undefined;
    let step: () => Promise<Float32Array | undefined>;
    let cleanup = (): void => {};
    const s = w.spec;
    const backend = this.backend;
    // The first call's output is read (it is the checked one); later calls only wait for the backend to
    // finish the work, as the PyTorch runner does, so timings do not include copying outputs of up to
    // 25 MB into JavaScript.
    // readback() sets timeRead: that one call waits for the work, then times copying the output apart.
    let timeRead = false;
    let readSeconds: number | undefined;
    const readAndFree = async (y: Tensor): Promise<Float32Array | undefined> => {
      try {
        if (timeRead) {
          await backend.sync?.();
          const t0 = performance.now();
          await y.data();
          readSeconds = (performance.now() - t0) / 1000;
          return undefined;
        }
        if (first === undefined || !backend.sync) return (await y.data()) as Float32Array;
        await backend.sync();
        return undefined;
      } finally {
        y.dispose();
      }
    };
    switch (s.kind) {
      case 'conv2d': {
        const plan = planConv2d(s.input, s.filter, { stride: [...s.stride] as [number, number], dilation: [...s.dilation] as [number, number], padding: [...s.pads] as [number, number, number, number], groups: s.groups });
        if (s.pass === 'forward') {
          const x = up('x');
          const f = up('filter');
          step = () => readAndFree(conv2d(x, f, { stride: plan.strideHeight === plan.strideWidth ? plan.strideHeight : [plan.strideHeight, plan.strideWidth], dilation: [...s.dilation] as [number, number], padding: [...s.pads] as [number, number, number, number], groups: s.groups }));
        } else if (s.pass === 'backward-input') {
          const dy = up('dy');
          const f = up('filter');
          step = () => readAndFree(conv2dBackpropInput(dy, f, plan));
        } else {
          const x = up('x');
          const dy = up('dy');
          step = () => readAndFree(conv2dBackpropFilter(x, dy, plan));
        }
        break;
      }
      case 'pool2d': {
        const opts = { window: [...s.window] as [number, number], stride: [...s.stride] as [number, number], padding: [...s.pads] as [number, number, number, number], ceilMode: s.ceilMode, countIncludePad: s.countIncludePad };
        if (s.pass === 'backward-input') {
          const plan = planPool2d(s.input, opts);
          const dy = up('dy');
          if (s.pool === 'max') {
            // The training path: overlapping windows read the forward's selected taps, made once before timing
            // (PyTorch's runner is given indices likewise); windows that do not overlap find the winners in x.
            const x = up('x');
            if (maxPoolRecordsArgmax(plan)) {
              const { y, argmax } = maxPool2dArgmax(x, opts);
              y.dispose();
              step = () => readAndFree(maxPool2dGradArgmax(dy, argmax, plan));
              cleanup = () => argmax.dispose();
            } else {
              step = () => readAndFree(maxPool2dGrad(dy, x, plan));
            }
          } else {
            step = () => readAndFree(avgPool2dGrad(dy, plan));
          }
          break;
        }
        const x = up('x');
        if (s.pass === 'forward-train' && s.pool === 'max' && maxPoolRecordsArgmax(planPool2d(s.input, opts))) {
          // The training forward where windows overlap: the selected taps are recorded too (y is the checked output).
          step = () => {
            const { y, argmax } = maxPool2dArgmax(x, opts);
            argmax.dispose();
            return readAndFree(y);
          };
          break;
        }
        step = () => readAndFree(s.pool === 'max' ? maxPool2d(x, opts) : avgPool2d(x, opts));
        break;
      }
      case 'dense': {
        const x = up('x');
        const wt = up('w');
        const b = up('b');
        step = () => readAndFree(matMul(x, wt, { transposeB: true, bias: b }));
        break;
      }
      case 'matmul': {
        const a = up('a');
        const b = up('b');
        step = () => readAndFree(matMul(a, b));
        break;
      }
      case 'model': {
        const model = createModel(s.model, { seed: w.seed, numClasses: s.numClasses, inputShape: [...s.inputShape] });
        const x = up('x');
        if (s.mode === 'infer' && s.compiled) {
          const compiled = await compile(model, { mode: 'inference', backend });
          step = () => readAndFree(compiled.run(x));
          cleanup = () => {
            compiled.dispose();
            model.dispose();
          };
        } else if (s.mode === 'infer') {
          step = () => readAndFree(model.forward(x, { training: false, rng: new Rng(0) }));
          cleanup = () => model.dispose();
        } else {
          const optimizer = new Sgd({ lr: 0.01, momentum: 0.9 });
          const rng = new Rng(w.seed);
          const losses: number[] = [];
          // A compiled training model trains the source model's own parameters: nothing else to free.
          const trained = s.compiled ? await compile(model, { mode: 'training', backend }) : model;
          step = async () => {
            const r = await trainStep(trained, optimizer, x, inputs.labels!, { rng });
            // The first step's loss is the checked output: same weights, data and dropout masks everywhere.
            if (losses.length < 1) losses.push(r.loss);
            return first === undefined ? Float32Array.from(losses) : undefined;
          };
          cleanup = () => {
            optimizer.dispose();
            model.dispose();
          };
        }
        break;
      }
    }
    const name = this.backend.name;
    return {
      async runIterations(n) {
        // Cells of several runners are interleaved: this one's backend is made active again first.
        await setBackend(backend);
        const t0 = performance.now();
        for (let i = 0; i < n; i++) {
          const out = await step();
          if (first === undefined && out !== undefined) first = new Float32Array(out);
        }
        // Work an asynchronous backend still has queued (the optimizer update) belongs to this batch.
        await backend.sync?.();
        return (performance.now() - t0) / 1000;
      },
      async readback() {
        if (s.kind === 'model' && s.mode === 'train') return undefined;
        await setBackend(backend);
        timeRead = true;
        try {
          await step();
        } finally {
          timeRead = false;
        }
        return readSeconds;
      },
      async output() {
        if (!first) throw new Error(`${name}: output requested before the workload ran `);
        return first;
      },
      backendBytes() {
        const b = memory().backends[name];
        return b ? Math.max(b.bytes, b.backendBytes) : 0;
      },
      async rss() {
        return process.memoryUsage.rss();
      },
      async dispose() {
        cleanup();
        for (const t of owned) t.dispose();
        return memory().tensors - before;
      },
    };
  }

  async trainCheck(w: Workload, inputs: WorkloadInputs, steps: number): Promise<TrainCheck> {
    const s = w.spec;
    if (s.kind !== 'model' || !inputs.model) throw new Error(`${w.id}: the training check needs a model workload`);
    await setBackend(this.backend);
    const ir = withoutDropout(inputs.model);
    const model = createModelWithoutDropout(s.model, { seed: w.seed, numClasses: s.numClasses, inputShape: [...s.inputShape] }, hasDropout(inputs.model));
    const optimizer = new Sgd({ lr: 0.01, momentum: 0.9 });
    const x = tensor(inputs.tensors.x!.data, [...inputs.tensors.x!.shape]);
    try {
      // The same starting weights as every other runner (the IR's), whatever the model's own init.
      for (const p of model.parameters()) {
        const src = ir.weights[p.name];
        if (!src) throw new Error(`${w.id}: parameter '${p.name}' is not in the model description`);
        const old = p.value;
        p.value = tensor(src.data, [...src.shape]);
        old.dispose();
      }
      const rng = new Rng(w.seed);
      const losses = new Float32Array(steps);
      const trained = s.compiled ? await compile(model, { mode: 'training', backend: this.backend }) : model;
      const readParams = async () => {
        const out: Record<string, Float32Array> = {};
        for (const p of model.parameters()) if (p.trainable) out[p.name] = new Float32Array(await p.value.data());
        return out;
      };
      let firstStepParams: Record<string, Float32Array> | undefined;
      for (let i = 0; i < steps; i++) {
        losses[i] = (await trainStep(trained, optimizer, x, inputs.labels!, { rng })).loss;
        if (i === 0 && steps > 1) firstStepParams = await readParams();
      }
      return { losses, params: await readParams(), ...(firstStepParams ? { firstStepParams } : {}) };
    } finally {
      x.dispose();
      optimizer.dispose();
      model.dispose();
    }
  }

  async close(): Promise<void> {
    await (this.backend as { dispose?: () => unknown }).dispose?.();
  }
}
