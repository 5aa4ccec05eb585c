import { ShapeError } from '../errors.js';
import { engine, type Tensor } from '../engine.js';
import type { AdamAttrs, SgdAttrs } from '../spec/index.js';
import { checkFinite } from '../plans/elementwise.js';
import { checkOptionKeys, optionKeys } from '../options.js';

const SGD_ATTR_KEYS = optionKeys<Omit<SgdAttrs, 'size'>>({ lr: 1, momentum: 1, nesterov: 1, weightDecay: 1 });
const ADAM_ATTR_KEYS = optionKeys<Omit<AdamAttrs, 'size'>>({ lr: 1, beta1: 1, beta2: 1, epsilon: 1, weightDecay: 1, decoupled: 1, step: 1 });

function sameShape(op: string, ref: Tensor, named: Record<string, Tensor>): void {
  for (const [name, t] of Object.entries(named)) {
    if (t.size !== ref.size || t.shape.some((d, i) => d !== ref.shape[i])) {
      throw new ShapeError(op, `${name} shape`, t.shape, `[${ref.shape.join(',')}] like param`);
    }
  }
}

/** In-place SGD step on `param` and `velocity` (PyTorch semantics). */
export function sgdUpdate(param: Tensor, grad: Tensor, velocity: Tensor, attrs: Omit<SgdAttrs, 'size'>): void {
  checkOptionKeys('sgdUpdate', attrs, SGD_ATTR_KEYS);
  sameShape('sgdUpdate', param, { grad, velocity });
  for (const k of ['lr', 'momentum', 'weightDecay'] as const) checkFinite('sgdUpdate', k, attrs[k]);
  engine.runKernel('SgdUpdate', { param, grad, velocity }, { ...attrs, size: param.size }, []);
}

/** In-place Adam / AdamW step on `param`, `m` and `v` (PyTorch semantics). */
export function adamUpdate(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, attrs: Omit<AdamAttrs, 'size'>): void {
  checkOptionKeys('adamUpdate', attrs, ADAM_ATTR_KEYS);
  sameShape('adamUpdate', param, { grad, m, v });
  for (const k of ['lr', 'beta1', 'beta2', 'epsilon', 'weightDecay', 'step'] as const) checkFinite('adamUpdate', k, attrs[k]);
  engine.runKernel('AdamUpdate', { param, grad, m, v }, { ...attrs, size: param.size }, []);
}
