import { describe, expect, it } from 'vitest';
import { engine, planConv2d, type Tensor } from './index.js';

// Compile-time checks (the `typecheck` script fails when a @ts-expect-error line compiles); the
// function is never called.
function typedCalls(x: Tensor, filter: Tensor): Tensor[] {
  const plan = planConv2d([1, 1, 3, 3], [1, 1, 3, 3]);
  const [y] = engine.runKernel('Conv2D', { x, filter }, { plan, activation: 'linear' }, [plan.outShape]);
  // @ts-expect-error Conv2D has no input 'w'
  engine.runKernel('Conv2D', { x, w: filter }, { plan, activation: 'linear' }, [plan.outShape]);
  // @ts-expect-error Conv2D needs its filter
  engine.runKernel('Conv2D', { x }, { plan, activation: 'linear' }, [plan.outShape]);
  // @ts-expect-error Conv2D has one output, not two
  engine.runKernel('Conv2D', { x, filter }, { plan, activation: 'linear' }, [plan.outShape, plan.outShape]);
  // @ts-expect-error Concat takes a list
  engine.runKernel('Concat', { xs: x }, { plan: undefined! }, [[1]]);
  const bn = { plan: undefined!, epsilon: 1e-5, activation: 'linear' as const };
  const [dx, dgamma, dbeta] = engine.runKernel('BatchNormGrad', { dy: x, x, gamma: x, mean: x, variance: x }, bn, [[1], [1], [1]]);
  // @ts-expect-error BatchNormGrad has three outputs
  engine.runKernel('BatchNormGrad', { dy: x, x, gamma: x, mean: x, variance: x }, bn, [[1]]);
  const none: [] = engine.runKernel('SgdUpdate', { param: x, grad: x, velocity: x }, undefined!, []);
  return [y, dx, dgamma, dbeta, ...none];
}

describe('engine.runKernel', () => {
  it('is typed per kernel: input names, optional inputs, lists and the number of outputs', () => {
    expect(typeof typedCalls).toBe('function');
  });
});
