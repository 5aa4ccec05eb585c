import type { Tensor } from '../engine.js';
import type { GradAttrs, GradOp } from './ops.js';

/** Indices of the inputs and outputs whose values a backward rule reads. */
export interface SaveSpec {
  readonly inputs?: readonly number[];
  readonly outputs?: readonly number[];
}

/** A recorded node as its backward rule sees it. */
export interface GradNode {
  /** Whether input i wants a gradient (so expensive ones, e.g. the first conv's dx, can be skipped). */
  readonly needs: readonly boolean[];
  /** Shapes are always available; values only for what the rule saves. */
  readonly inputShapes: readonly (readonly number[] | undefined)[];
  readonly outputShapes: readonly (readonly number[])[];
  /** The value of a saved input (the tape's own reference: valid during backward, never returned as a gradient). */
  input(i: number): Tensor;
  output(i: number): Tensor;
}

/**
 * The backward rule of one op, written in terms of ops (so kernels only). `saves` names the
 * values it reads; the tape keeps exactly those alive from the forward call to the backward pass.
 */
export interface GradRule<K extends GradOp> {
  readonly saves: SaveSpec | ((attrs: GradAttrs<K>, needs: readonly boolean[]) => SaveSpec);
  backward(dys: readonly (Tensor | undefined)[], node: GradNode, attrs: GradAttrs<K>): readonly (Tensor | undefined)[];
}

export type GradRules = { readonly [K in GradOp]: GradRule<K> };

/** The part of the rules recording needs: what to save. */
export type SaveRules = { readonly [K in GradOp]: Pick<GradRule<K>, 'saves'> };
