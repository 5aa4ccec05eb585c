import { describe, expect, it } from 'vitest';
import { compareTraining, float32Ulp, gateTraining } from './verify.js';

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

describe('compareTraining against the float64 flip oracle', () => {
  // A conv filter (4 output channels x 2 inputs x 3x3), its batch norm's gamma and beta, SGD lr 0.01 from the same start.
  // Magnitudes as in ResNet-20 at batch 32: filter weights up to ~0.4 moving by ~1e-4 a step, beta's gradient a sum
  // that nearly cancels (its update a tenth of gamma's).
  const wave = (n: number, a: number, b: number) => Array.from({ length: n }, (_, i) => Math.sin(a * i + b));
  const start = { 'conv.weight': f(...wave(72, 1.7, 0.3).map((v) => 0.4 * v)), 'bn.weight': f(1, 1, 1, 1), 'bn.bias': f(0, 0, 0, 0) };
  const grad: Record<string, number[]> = { 'conv.weight': wave(72, 2.3, 1.1).map((v) => 1e-2 * v), 'bn.weight': [3e-3, -2e-3, 1e-3, 2.5e-3], 'bn.bias': [2e-4, -3e-4, 1e-4, -2.5e-4] };
  const step = (g: Record<string, number[]>) => Object.fromEntries(Object.entries(start).map(([k, w0]) => [k, f(...w0.map((v, i) => v - 0.01 * g[k]![i]!))]));
  const exact = step(grad);
  // One ReLU input within the band, in channel 2: flipping it moves beta[2] by one position's gradient (3e-5, a tenth
  // of beta's largest gradient) and filter row 2 by that times the input patch (about 3% of the filter's largest update).
  const patch = wave(18, 0.9, 0.2).map((v) => 0.5 + 0.5 * v);
  const flippedGrad = {
    ...grad,
    'conv.weight': grad['conv.weight']!.map((v, i) => (Math.floor(i / 18) === 2 ? v + 3e-4 * patch[i % 18]! : v)),
    'bn.bias': grad['bn.bias']!.map((v, i) => (i === 2 ? v + 3e-5 : v)),
  };
  const oracle = { start, flips: { band: 1e-4, exact, flipped: [step(flippedGrad), exact, exact] } };
  const losses = f(2.3, 2.2, 2.1);
  const reference = { losses, params: exact, firstStepParams: exact };
  const run = (params: Record<string, Float32Array>, l = losses) => ({ losses: l, params, firstStepParams: params });
  const with10 = (k: string, rows: number, row: number) =>
    step({ ...grad, [k]: grad[k]!.map((v, i) => (Math.floor(i / (grad[k]!.length / rows)) === row ? 1.1 * v : v)) });

  it('passes a runner that took the other side of a ReLU decision within the band, which the reference-relative gate failed', () => {
    const flipped = run(step(flippedGrad));
    expect(compareTraining(reference, flipped, oracle)).toMatchObject({ weightsMeasure: 'flips' });
    expect(compareTraining(reference, flipped, oracle).relative).toBeLessThan(1e-6);
    // Without the oracle: beta[2] off by a tenth of beta's largest value.
    expect(compareTraining(reference, flipped).relative).toBeGreaterThan(5e-2);
  });

  it('passes float32 rounding of the updates (a couple of ulps of each weight)', () => {
    const rounded = Object.fromEntries(Object.entries(exact).map(([k, v]) => [k, f(...v.map((x, i) => x + (i % 3 === 0 ? float32Ulp(x) : 0)))]));
    expect(compareTraining(reference, run(rounded), oracle).relative).toBe(0);
  });

  it('fails one output channel whose gradient is 10% off, which the reference-relative gate passed', () => {
    const c = compareTraining(reference, run(with10('conv.weight', 4, 1)), oracle);
    expect(c.relative).toBeGreaterThan(2e-2);
    expect(c.weights.worst).toBe('conv.weight');
    // Relative to the filter's largest weight (0.4) the 1e-5 deviation looked like rounding.
    expect(compareTraining(reference, run(with10('conv.weight', 4, 1))).relative).toBeLessThan(1e-3);
  });

  it('fails a 10% channel error in the channel whose allowance holds a flip', () => {
    expect(compareTraining(reference, run(with10('conv.weight', 4, 2)), oracle).relative).toBeGreaterThan(1e-2);
  });

  it('fails a filter gradient with its 3x3 taps transposed', () => {
    const t = grad['conv.weight']!.map((_, i) => {
      const tap = i % 9;
      return grad['conv.weight']![i - tap + (tap % 3) * 3 + Math.floor(tap / 3)]!;
    });
    expect(compareTraining(reference, run(step({ ...grad, 'conv.weight': t })), oracle).relative).toBeGreaterThan(1e-1);
  });

  it('fails a batch-norm bias gradient off by a constant of a twentieth of its largest value', () => {
    const c = compareTraining(reference, run(step({ ...grad, 'bn.bias': grad['bn.bias']!.map((v) => v + 1.5e-5) })), oracle);
    expect(c.relative).toBeGreaterThan(1e-2);
    expect(c.weights.worst).toBe('bn.bias');
  });

  it('fails a loss off by 1% and a runner without the step-1 weights', () => {
    expect(compareTraining(reference, run(exact, f(2.3, 2.2 * 1.01, 2.1)), oracle).relative).toBeGreaterThan(5e-3);
    expect(compareTraining(reference, { losses, params: exact }, oracle).relative).toBe(Number.POSITIVE_INFINITY);
  });
});
