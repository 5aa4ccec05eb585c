import { ArgumentError, ShapeError } from '../errors.js';
import type { Tensor } from '../engine.js';
import { add } from '../ops/elementwise.js';
import { concat } from '../ops/layout.js';
import { Layer, type LayerOptions, type Shape } from './layer.js';

/** Element-wise sum of two or more inputs of one shape (residual connections). */
export class Add extends Layer {
  readonly type = 'Add';
  override readonly minInputs = 2;
  override readonly maxInputs = Infinity;

  constructor(options: LayerOptions = {}) {
    super(options, []);
  }

  protected computeOutputShape(inputs: readonly Shape[]): Shape {
    const first = inputs[0]!;
    inputs.forEach((s, i) => {
      if (s.length !== first.length || s.some((d, j) => d !== first[j])) {
        throw new ShapeError('Add', `input ${i} shape`, s, `[${first.join(',')}] like input 0`);
      }
    });
    return first;
  }

  call(xs: readonly Tensor[]): Tensor {
    let y = add(xs[0]!, xs[1]!);
    for (let i = 2; i < xs.length; i++) {
      const next = add(y, xs[i]!);
      y.dispose();
      y = next;
    }
    return y;
  }

  getConfig(): Record<string, unknown> {
    return {};
  }
}

export interface ConcatOptions extends LayerOptions {
  /** Axis of the batched tensor (0 is the batch axis, so at least 1). Default 1: channels. */
  axis?: number;
}

/** Concatenation of two or more inputs along an axis, channels by default (inception blocks). */
export class Concat extends Layer {
  readonly type = 'Concat';
  override readonly minInputs = 2;
  override readonly maxInputs = Infinity;
  readonly axis: number;

  constructor(options: ConcatOptions = {}) {
    super(options, ['axis']);
    const a = options.axis ?? 1;
    if (!Number.isInteger(a) || a < 1) throw new ArgumentError('Concat', 'axis', a, 'an integer >= 1 (axis 0 is the batch)');
    this.axis = a;
  }

  protected computeOutputShape(inputs: readonly Shape[]): Shape {
    const first = inputs[0]!;
    const ax = this.axis - 1;
    if (ax >= first.length) throw new ArgumentError('Concat', 'axis', this.axis, `at most ${first.length} for inputs of rank ${first.length + 1}`);
    let total = 0;
    inputs.forEach((s, i) => {
      if (s.length !== first.length || s.some((d, j) => j !== ax && d !== first[j])) {
        const expected = first.map((d, j) => (j === ax ? '*' : String(d))).join(',');
        throw new ShapeError('Concat', `input ${i} shape`, s, `[${expected}] (equal to input 0 except on axis ${this.axis})`);
      }
      total += s[ax]!;
    });
    return first.map((d, j) => (j === ax ? total : d));
  }

  call(xs: readonly Tensor[]): Tensor {
    return concat(xs, this.axis);
  }

  getConfig(): Record<string, unknown> {
    return { axis: this.axis };
  }
}
