import { ArgumentError, ShapeError } from '../errors.js';
import { engine, type Tensor } from '../engine.js';
import type { AdamAttrs, SgdAttrs } from '../spec/index.js';
import { checkFinite } from '../plans/elementwise.js';
import { planTensorList } from '../plans/tensor-list.js';
import { checkOptionKeys, optionKeys } from '../options.js';

type SgdOptions = Omit<SgdAttrs, 'size'>;
type AdamOptions = Omit<AdamAttrs, 'size'>;

const SGD_ATTR_KEYS = optionKeys<SgdOptions>({ lr: 1, momentum: 1, nesterov: 1, weightDecay: 1 });
const ADAM_ATTR_KEYS = optionKeys<AdamOptions>({ lr: 1, beta1: 1, beta2: 1, epsilon: 1, weightDecay: 1, decoupled: 1, step: 1 });

function sameShape(op: string, ref: Tensor, named: Record<string, Tensor>, refName = 'param'): void {
  for (const [name, t] of Object.entries(named)) {
    if (t.size !== ref.size || t.shape.some((d, i) => d !== ref.shape[i])) {
      throw new ShapeError(op, `${name} shape`, t.shape, `[${ref.shape.join(',')}] like ${refName}`);
    }
  }
}

function checkSgd(op: string, attrs: SgdOptions): void {
  checkOptionKeys(op, attrs, SGD_ATTR_KEYS);
  for (const k of ['lr', 'momentum', 'weightDecay'] as const) checkFinite(op, k, attrs[k]);
}

function checkAdam(op: string, attrs: AdamOptions): void {
  checkOptionKeys(op, attrs, ADAM_ATTR_KEYS);
  for (const k of ['lr', 'beta1', 'beta2', 'epsilon', 'weightDecay', 'step'] as const) checkFinite(op, k, attrs[k]);
}

/** In-place SGD step on `param` and `velocity` (PyTorch semantics). */
export function sgdUpdate(param: Tensor, grad: Tensor, velocity: Tensor, attrs: SgdOptions): void {
  checkSgd('sgdUpdate', attrs);
  sameShape('sgdUpdate', param, { grad, velocity });
  engine.runKernel('SgdUpdate', { param, grad, velocity }, { ...attrs, size: param.size }, []);
}

/** In-place Adam / AdamW step on `param`, `m` and `v` (PyTorch semantics). */
export function adamUpdate(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, attrs: AdamOptions): void {
  checkAdam('adamUpdate', attrs);
  sameShape('adamUpdate', param, { grad, m, v });
  engine.runKernel('AdamUpdate', { param, grad, m, v }, { ...attrs, size: param.size }, []);
}

/**
 * Checks parallel lists (every list as long as `params`, every tensor shaped like its parameter) and
 * keeps the non-empty positions: empty tensors have nothing to update and never reach a kernel.
 */
function nonEmptyLists(op: string, params: readonly Tensor[], lists: Record<string, readonly Tensor[]>): number[] {
  if (!Array.isArray(params)) throw new ArgumentError(op, 'params', params, 'an array of tensors');
  for (const [name, list] of Object.entries(lists)) {
    if (!Array.isArray(list) || list.length !== params.length) {
      throw new ArgumentError(op, `${name}.length`, Array.isArray(list) ? list.length : list, `${params.length} (one per parameter)`);
    }
  }
  const keep: number[] = [];
  params.forEach((p, i) => {
    sameShape(op, p, Object.fromEntries(Object.entries(lists).map(([name, list]) => [`${name}[${i}]`, list[i]!])), `params[${i}]`);
    if (p.size > 0) keep.push(i);
  });
  return keep;
}

/**
 * SGD on every parameter in one kernel call (SgdUpdateMany): the same arithmetic as `sgdUpdate` on
 * each (params[i], grads[i], velocities[i]), all on one backend.
 */
export function sgdUpdateMany(params: readonly Tensor[], grads: readonly Tensor[], velocities: readonly Tensor[], attrs: SgdOptions): void {
  const op = 'sgdUpdateMany';
  checkSgd(op, attrs);
  const keep = nonEmptyLists(op, params, { grads, velocities });
  if (keep.length === 0) return;
  const pick = (list: readonly Tensor[]) => keep.map((i) => list[i]!);
  const plan = planTensorList(op, keep.map((i) => params[i]!.size));
  engine.runKernel('SgdUpdateMany', { params: pick(params), grads: pick(grads), velocities: pick(velocities) }, { ...attrs, plan }, []);
}

/** Adam / AdamW on every parameter in one kernel call (AdamUpdateMany), as `adamUpdate` on each. */
export function adamUpdateMany(
  params: readonly Tensor[],
  grads: readonly Tensor[],
  ms: readonly Tensor[],
  vs: readonly Tensor[],
  attrs: AdamOptions,
): void {
  const op = 'adamUpdateMany';
  checkAdam(op, attrs);
  const keep = nonEmptyLists(op, params, { grads, ms, vs });
  if (keep.length === 0) return;
  const pick = (list: readonly Tensor[]) => keep.map((i) => list[i]!);
  const plan = planTensorList(op, keep.map((i) => params[i]!.size));
  engine.runKernel('AdamUpdateMany', { params: pick(params), grads: pick(grads), ms: pick(ms), vs: pick(vs) }, { ...attrs, plan }, []);
}
