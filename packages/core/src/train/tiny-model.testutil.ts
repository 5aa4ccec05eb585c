// A small Model implemented directly with ops, so training and I/O tests do not depend on the
// layers package: conv 3@3x3 (pad 1, relu) -> max pool 2 -> flatten -> dropout -> dense.
import { keep, type Tensor } from '../engine.js';
import { tensor } from '../ops/create.js';
import { conv2d } from '../ops/conv.js';
import { maxPool2d } from '../ops/pool.js';
import { flatten } from '../ops/layout.js';
import { matMul } from '../ops/matmul.js';
import { mul } from '../ops/elementwise.js';
import { dropout } from '../ops/dropout.js';
import type { ForwardContext, LayerConfig, Model, Parameter } from '../models/types.js';
import { Rng } from '../random/philox.js';
import type { ImageDataset } from './fit.js';

export class TinyModel implements Model {
  readonly name = 'tiny';
  readonly inputShape = [1, 6, 6] as const;
  readonly outputShape: readonly number[];
  private readonly params: Parameter[];

  constructor(
    seed = 1,
    readonly classes = 3,
    readonly dropoutRate = 0,
  ) {
    this.outputShape = [classes];
    const rng = new Rng(seed);
    const p = (name: string, shape: number[], values: Float32Array, trainable = true): Parameter => ({
      name,
      trainable,
      value: keep(tensor(values, shape)),
    });
    this.params = [
      p('conv.weight', [3, 1, 3, 3], rng.normal(27, 0, 0.4)),
      p('conv.bias', [3], new Float32Array(3).fill(0.01)),
      p('dense.weight', [27, classes], rng.normal(27 * classes, 0, 0.2)),
      p('dense.bias', [classes], new Float32Array(classes)),
      // A non-trainable buffer (like batch-norm running stats): saved and loaded, never optimised.
      p('input.scale', [1], new Float32Array([1.5]), false),
    ];
  }

  forward(x: Tensor, ctx: ForwardContext): Tensor {
    const [cw, cb, dw, db, scale] = this.params.map((q) => q.value) as [Tensor, Tensor, Tensor, Tensor, Tensor];
    const xs = mul(x, scale);
    const h = conv2d(xs, cw, { padding: 1, bias: cb, activation: 'relu' });
    const pooled = maxPool2d(h, { window: 2, stride: 2 });
    let f = flatten(pooled);
    if (ctx.training && this.dropoutRate > 0) f = dropout(f, this.dropoutRate, ctx.rng);
    return matMul(f, dw, { bias: db });
  }

  parameters(): Parameter[] {
    return this.params;
  }

  toJSON(): LayerConfig {
    return { type: 'Tiny', classes: this.classes, dropoutRate: this.dropoutRate };
  }

  summary(): string {
    return this.params.map((q) => `${q.name} [${q.value.shape.join(',')}]`).join('\n');
  }

  dispose(): void {
    for (const q of this.params) q.value.dispose();
  }
}

/** Learnable synthetic data: class c lights up a c-dependent quadrant pattern, plus noise. */
export function syntheticData(count: number, classes = 3, seed = 7): ImageDataset {
  const rng = new Rng(seed);
  const images = rng.normal(count * 36, 0, 0.3);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const c = i % classes;
    labels[i] = c;
    for (let y = 0; y < 6; y++) for (let x = 0; x < 6; x++) if ((Math.floor(y / 3) * 2 + Math.floor(x / 3)) % classes === c) images[i * 36 + y * 6 + x] += 1;
  }
  return { images, labels, count, shape: [1, 6, 6], numClasses: classes };
}

export async function weightsOf(model: Model): Promise<Float32Array[]> {
  return Promise.all(model.parameters().map((q) => q.value.data()));
}
