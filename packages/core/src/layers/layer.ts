import { ArgumentError, DisposedError, ShapeError, StridenetError, formatValue } from '../errors.js';
import { keep, Tensor } from '../engine.js';
import { tensor } from '../ops/create.js';
import { sizeOf } from '../plans/common.js';
import type { Rng } from '../random/philox.js';
import type { ForwardContext, LayerConfig, Parameter } from '../models/types.js';
import { initialValues, type InitializerName } from './init.js';
import { checkOptionKeys } from '../options.js';

/** Shape of one example, without the batch axis. */
export type Shape = readonly number[];

/** What a layer declares about one of its tensors once its input shape is known. */
export interface ParamSpec {
  /** Local name: 'weight', 'bias', 'runningMean', ... */
  name: string;
  shape: readonly number[];
  trainable: boolean;
  init: InitializerName;
  fanIn: number;
  fanOut: number;
}

/**
 * A model parameter whose tensor is created on first use, from its own RNG stream: building a
 * model (shape inference, parameter counts, summaries, JSON) needs no backend, and the weights a
 * seed gives do not depend on the order in which parameters are first touched.
 */
export class ModelParameter implements Parameter {
  readonly name: string;
  readonly shape: readonly number[];
  readonly trainable: boolean;
  readonly size: number;
  private current: Tensor | null = null;
  private disposed = false;
  private readonly initialize: () => Float32Array;

  constructor(name: string, spec: ParamSpec, rng: Rng) {
    this.name = name;
    this.shape = Object.freeze([...spec.shape]);
    this.trainable = spec.trainable;
    this.size = sizeOf(spec.shape);
    this.initialize = () => initialValues(spec.init, rng, this.size, spec.fanIn, spec.fanOut);
  }

  get isMaterialized(): boolean {
    return this.current !== null && !this.current.isDisposed;
  }

  get value(): Tensor {
    if (this.disposed) throw new DisposedError(`parameter '${this.name}'`);
    if (this.current === null) this.current = keep(tensor(this.initialize(), this.shape));
    else if (this.current.isDisposed) throw new DisposedError(`tensor of parameter '${this.name}'`);
    return this.current;
  }

  /** Replaces the tensor (loading weights, running statistics); the old one is disposed. */
  set value(t: Tensor) {
    if (!(t instanceof Tensor)) throw new ArgumentError(`parameter '${this.name}'`, 'value', t, 'a Tensor');
    if (t.rank !== this.shape.length || t.shape.some((d, i) => d !== this.shape[i])) {
      throw new ShapeError(`parameter '${this.name}'`, 'value shape', t.shape, formatValue(this.shape));
    }
    if (this.current !== null && this.current !== t && !this.current.isDisposed) this.current.dispose();
    this.current = keep(t);
    this.disposed = false;
  }

  dispose(): void {
    if (this.current !== null && !this.current.isDisposed) this.current.dispose();
    this.current = null;
    this.disposed = true;
  }
}

/** Common options of every layer. */
export interface LayerOptions {
  /** Unique within a model; used as the prefix of parameter names. Default: type and a counter. */
  name?: string;
}

/**
 * A layer: configuration, shape inference at build time (errors name the layer and the input
 * shape), parameter declaration and a forward pass in terms of core ops (autograd comes for free).
 */
export abstract class Layer {
  abstract readonly type: string;
  name: string | undefined;
  /** Inputs it takes: Add and Concat take several, every other layer one. */
  readonly minInputs: number = 1;
  readonly maxInputs: number = 1;
  private built: { inputShapes: Shape[]; outputShape: Shape; specs: ParamSpec[] } | null = null;
  private params = new Map<string, ModelParameter>();

  /**
   * `accepted`: the option keys a built-in layer takes besides `name`; any other key is then an
   * UnknownOptionError naming the layer class. A custom layer may leave it out (no check) or pass its own.
   */
  constructor(options: LayerOptions = {}, accepted?: readonly string[]) {
    if (accepted) checkOptionKeys(new.target.name, options, ['name', ...accepted]);
    if (options.name !== undefined && (typeof options.name !== 'string' || !/^[A-Za-z0-9_.\-]+$/.test(options.name))) {
      throw new ArgumentError('Layer', 'name', options.name, 'a non-empty string of letters, digits, _ . -');
    }
    this.name = options.name;
  }

  /** Output shape (no batch axis) from input shapes; throws a ShapeError / ArgumentError for bad configurations. */
  protected abstract computeOutputShape(inputShapes: readonly Shape[]): Shape;

  /** Parameters and buffers this layer needs for the input shapes it was built with. */
  protected paramSpecs(_inputShapes: readonly Shape[]): ParamSpec[] {
    return [];
  }

  /** Forward pass on a batch. */
  abstract call(inputs: readonly Tensor[], ctx: ForwardContext): Tensor;

  /** The layer's options (everything but type and name), JSON-serialisable. */
  abstract getConfig(): Record<string, unknown>;

  toJSON(): LayerConfig {
    return { type: this.type, ...(this.name !== undefined ? { name: this.name } : {}), ...this.getConfig() };
  }

  get isBuilt(): boolean {
    return this.built !== null;
  }

  get inputShapes(): Shape[] {
    return this.requireBuilt().inputShapes;
  }

  get outputShape(): Shape {
    return this.requireBuilt().outputShape;
  }

  get specs(): readonly ParamSpec[] {
    return this.requireBuilt().specs;
  }

  /** Number of values in trainable parameters (buffers excluded). */
  countParams(trainable = true): number {
    return this.specs.filter((s) => s.trainable === trainable).reduce((n, s) => n + sizeOf(s.shape), 0);
  }

  /** @internal infers the output shape; a layer is built once (its weights belong to one model). */
  build(inputShapes: readonly Shape[]): Shape {
    if (this.built !== null) {
      throw new ArgumentError('Layer.build', `layer '${this.describe()}'`, 'already built', 'a new layer instance (layers are not shared between models or nodes)');
    }
    if (inputShapes.length < this.minInputs || inputShapes.length > this.maxInputs) {
      const want = this.minInputs === this.maxInputs ? `${this.minInputs}` : `${this.minInputs} to ${this.maxInputs === Infinity ? 'any number' : this.maxInputs}`;
      throw new ArgumentError(this.describe(), 'number of inputs', inputShapes.length, want);
    }
    return this.inContext(inputShapes, () => {
      const outputShape = Object.freeze([...this.computeOutputShape(inputShapes)]);
      const specs = this.paramSpecs(inputShapes);
      this.built = { inputShapes: inputShapes.map((s) => Object.freeze([...s])), outputShape, specs };
      return outputShape;
    });
  }

  /** @internal the model hands each declared parameter to its layer. */
  attach(local: string, p: ModelParameter): void {
    this.params.set(local, p);
  }

  /** The model parameter with this local name ('weight', 'bias', ...). */
  param(local: string): ModelParameter {
    const p = this.params.get(local);
    if (!p) throw new StridenetError('ARGUMENT', `${this.describe()}: parameter '${local}' does not exist or the layer is not part of a built model`);
    return p;
  }

  describe(): string {
    return `layer '${this.name ?? '(unnamed)'}' (${this.type})`;
  }

  private requireBuilt(): NonNullable<Layer['built']> {
    if (this.built === null) throw new StridenetError('ARGUMENT', `${this.describe()} is not built: add it to a Sequential or graph model first`);
    return this.built;
  }

  /** Prefixes errors with the layer and its input shapes, so a bad model definition points at the culprit. */
  private inContext<T>(inputShapes: readonly Shape[], fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof StridenetError) {
        const shapes = inputShapes.map((s) => `[${s.join(',')}]`).join(' + ');
        e.message = `${this.describe()} with input shape ${shapes}: ${e.message}`;
      }
      throw e;
    }
  }
}

/** Shape check helper for build(): rank without batch axis. */
export function expectRank(layer: Layer, shape: Shape, rank: number, layout: string): void {
  if (shape.length !== rank) throw new ShapeError(layer.type, 'input shape', shape, `rank ${rank} ${layout} (batch axis excluded)`);
}

export function positiveInt(layer: string, argument: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new ArgumentError(layer, argument, v, 'a positive integer');
  return v;
}

export function rate01(layer: string, argument: string, v: unknown): number {
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) throw new ArgumentError(layer, argument, v, 'a number in [0, 1)');
  return v;
}
