import { planRows } from '@stridenet/core';
import { crossEntropyCases, softmaxCases } from '../cases/softmax.js';
import { DEFAULT_TOLERANCE } from '../cases/types.js';
import * as ref from '../reference/index.js';
import { expectClose } from '../harness/compare.js';
import { seedOf, sizeOf, uniform } from '../harness/data.js';
import { directionalCheck } from '../harness/gradcheck.js';
import { use, type Check } from '../harness/check.js';
import { Rng } from '@stridenet/core';

/** Labels for a cross-entropy case: one-hot rows, smoothed towards uniform. */
export function crossEntropyLabels(key: string, rows: number, cols: number, smoothing: number): Float32Array {
  const rng = new Rng(seedOf(`${key}/labels`));
  const labels = new Float32Array(rows * cols).fill(smoothing / cols);
  for (let r = 0; r < rows; r++) labels[r * cols + rng.int(cols)] += 1 - smoothing;
  return labels;
}

function softmaxChecks(): Check[] {
  return softmaxCases.flatMap((c): Check[] => {
    const plan = planRows('softmax', c.shape);
    const key = `softmax/${c.name}`;
    const tol = c.tolerance ?? DEFAULT_TOLERANCE.softmax;
    const x = uniform(`${key}/x`, sizeOf(c.shape), -c.scale, c.scale);
    const dy = uniform(`${key}/dy`, x.length);
    const attrs = { plan, log: c.log };
    const base = { group: 'softmax' as const, kernel: 'Softmax', option: c.name, elements: x.length };
    return [
      {
        ...base,
        title: 'forward',
        uses: () => [use('Softmax', attrs)],
        run: async (s) => {
          const [y] = await s.compute('Softmax', { x }, attrs);
          expectClose(c.log ? 'log-softmax' : 'softmax', y!, ref.softmax(x, plan, c.log), tol);
        },
      },
      {
        ...base,
        title: 'forward agrees with the reference gradient (finite differences)',
        uses: () => [use('Softmax', attrs)],
        run: async (s) => {
          await directionalCheck({
            key,
            inputs: [x],
            grads: [ref.softmaxGrad(dy, x, plan, c.log)],
            r: dy,
            h: 1e-3 * Math.max(1, c.scale / 4),
            forward: async ([xi]) => (await s.compute('Softmax', { x: xi! }, attrs))[0]!,
          });
        },
      },
    ];
  });
}

function crossEntropyChecks(): Check[] {
  return crossEntropyCases.flatMap((c): Check[] => {
    const plan = planRows('softmaxCrossEntropy', [c.rows, c.cols]);
    const key = `crossEntropy/${c.name}`;
    const tol = c.tolerance ?? DEFAULT_TOLERANCE.softmax;
    const logits = uniform(`${key}/logits`, c.rows * c.cols, -c.scale, c.scale);
    const labels = crossEntropyLabels(key, c.rows, c.cols, c.smoothing);
    const dloss = uniform(`${key}/dloss`, c.rows, 0.1, 1);
    const base = { group: 'softmax' as const, option: c.name, elements: logits.length };
    return [
      {
        ...base,
        kernel: 'SoftmaxCrossEntropy',
        title: 'per-row loss',
        uses: () => [use('SoftmaxCrossEntropy', { plan })],
        run: async (s) => {
          const [loss] = await s.compute('SoftmaxCrossEntropy', { logits, labels }, { plan });
          expectClose('cross-entropy loss', loss!, ref.softmaxCrossEntropy(logits, labels, plan), tol);
        },
      },
      {
        ...base,
        kernel: 'SoftmaxCrossEntropyGrad',
        title: 'gradient vs reference',
        uses: () => [use('SoftmaxCrossEntropyGrad', { plan })],
        run: async (s) => {
          const [d] = await s.compute('SoftmaxCrossEntropyGrad', { dloss, logits, labels }, { plan });
          expectClose('cross-entropy dlogits', d!, ref.softmaxCrossEntropyGrad(dloss, logits, labels, plan), tol);
        },
      },
      {
        ...base,
        kernel: 'SoftmaxCrossEntropyGrad',
        title: 'gradient by finite differences',
        uses: () => [use('SoftmaxCrossEntropy', { plan }), use('SoftmaxCrossEntropyGrad', { plan })],
        run: async (s) => {
          const [d] = await s.compute('SoftmaxCrossEntropyGrad', { dloss, logits, labels }, { plan });
          await directionalCheck({
            key,
            inputs: [logits, labels],
            grads: [d!, null],
            r: dloss,
            h: 1e-3 * Math.max(1, c.scale / 4),
            forward: async ([li]) => (await s.compute('SoftmaxCrossEntropy', { logits: li!, labels }, { plan }))[0]!,
          });
        },
      },
    ];
  });
}

export function softmaxFamilyChecks(): Check[] {
  return [...softmaxChecks(), ...crossEntropyChecks()];
}
