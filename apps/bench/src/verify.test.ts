import { describe, expect, it } from 'vitest';
import { compareTraining, gateTraining } from './verify.js';

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

describe('gateTraining', () => {
  const reference = { losses: f(2, 1.5, 1.2), params: { w: f(1, 2), b: f(1e-4, 0) }, firstStepParams: { w: f(1, 2), b: f(1e-4, 0) } };
  // float32 rounding on a near-zero tensor: b off by 2e-3 of its largest value after step 1.
  const rounded = { ...reference, firstStepParams: { w: f(1, 2), b: f(1.002e-4, 0) } };
  const wrong = { ...reference, firstStepParams: { w: f(1, 2.5), b: f(1e-4, 0) } };
  const runs = (float32: typeof reference, float64: typeof reference) => {
    const asked: boolean[] = [];
    return { asked, check: (wide: boolean) => (asked.push(wide), Promise.resolve(wide ? float64 : float32)) };
  };

  it('a float32 check within the tolerance is the verdict; no float64 run', async () => {
    const r = runs(reference, wrong);
    const v = await gateTraining(reference, r.check, true, 1e-3);
    expect(v).toMatchObject({ correct: true });
    expect(v.float64).toBeUndefined();
    expect(r.asked).toEqual([false]);
  });

  it('a float32 miss is decided by the float64 run of the same model, both deviations kept', async () => {
    const r = runs(rounded, reference);
    const v = await gateTraining(reference, r.check, true, 1e-3);
    expect(r.asked).toEqual([false, true]);
    expect(v.correct).toBe(true);
    expect(v.float32.relative).toBeCloseTo(2e-3, 4);
    expect(v.float32.weights.worst).toBe('b');
    expect(v.float64!.relative).toBe(0);
  });

  it('a float64 run that also misses keeps the cell wrong; a runner without float64 stays wrong', async () => {
    expect((await gateTraining(reference, runs(rounded, wrong).check, true, 1e-3)).correct).toBe(false);
    const r = runs(rounded, reference);
    const v = await gateTraining(reference, r.check, false, 1e-3);
    expect(v.correct).toBe(false);
    expect(r.asked).toEqual([false]);
  });
});
