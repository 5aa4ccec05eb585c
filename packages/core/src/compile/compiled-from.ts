import type { Tensor } from '../engine.js';
import type { LayerModel } from '../models/model.js';
import type { ForwardContext, LayerConfig, Model, Parameter } from '../models/types.js';

/**
 * What a compiled model (inference or training) takes from the model it was compiled from: name and shapes,
 * the parameters themselves, the architecture JSON and the summary it extends.
 */
export abstract class CompiledFrom implements Model {
  readonly name: string;
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];

  protected constructor(
    readonly source: LayerModel,
    label: string,
  ) {
    this.name = `${source.name} (${label})`;
    this.inputShape = source.inputShape;
    this.outputShape = source.outputShape;
  }

  abstract forward(x: Tensor, ctx?: ForwardContext): Tensor;
  abstract summary(): string;
  abstract dispose(): void;

  /** The source model's parameters (and buffers), the very same objects. */
  parameters(): Parameter[] {
    return this.source.parameters();
  }

  toJSON(): LayerConfig {
    return this.source.toJSON();
  }

  /** The source's summary, then `heading` and one line per rewrite and per layer left as it is. */
  protected planSummary(heading: string, plan: { readonly rewrites: readonly string[]; readonly eager: readonly string[] }): string {
    return `${this.source.summary()}\n${heading}${[...plan.rewrites, ...plan.eager].map((l) => `\n  ${l}`).join('')}`;
  }
}
