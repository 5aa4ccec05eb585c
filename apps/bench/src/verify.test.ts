import { describe, expect, it } from 'vitest';
import { compareTraining } from './verify.js';

const f = (...v: number[]) => new Float32Array(v);

describe('compareTraining', () => {
  const reference = { losses: f(2, 1.5, 1.2), params: { w: f(1, 2), b: f(1e-4, 0) }, firstStepParams: { w: f(1, 2), b: f(1e-5, 0) } };

  it('gates the weights after step 1 and reports the weights after the last step beside them', () => {
    const value = { losses: f(2, 1.5, 1.2), params: { w: f(1, 2), b: f(2e-4, 0) }, firstStepParams: { w: f(1, 2), b: f(1e-5, 0) } };
    const c = compareTraining(reference, value);
    expect(c.weightsStep).toBe(1);
    expect(c.weights.relative).toBe(0);
    expect(c.weightsAfterLast).toMatchObject({ worst: 'b' });
    expect(c.weightsAfterLast!.relative).toBeCloseTo(1, 5);
    expect(c.relative).toBe(0);
  });

  it('fails a wrong first step and a runner that reports no first-step weights', () => {
    const wrong = { losses: f(2, 1.5, 1.2), params: reference.params, firstStepParams: { w: f(1, 2.01), b: f(1e-5, 0) } };
    expect(compareTraining(reference, wrong).relative).toBeGreaterThan(1e-3);
    expect(compareTraining(reference, { losses: f(2, 1.5, 1.2), params: reference.params }).relative).toBe(Number.POSITIVE_INFINITY);
  });

  it('a loss deviation fails whatever the weights', () => {
    expect(compareTraining(reference, { ...reference, losses: f(2, 1.6, 1.2) }).relative).toBeGreaterThan(1e-3);
  });

  it('with one step, the weights after it are the gate', () => {
    const one = { losses: f(2), params: { w: f(1, 2) } };
    const c = compareTraining(one, { losses: f(2), params: { w: f(1, 2.5) } });
    expect(c.weightsStep).toBe(1);
    expect(c.weightsAfterLast).toBeUndefined();
    expect(c.relative).toBeCloseTo(0.25, 5);
  });
});
