/**
 * Checks through core's public ops and autograd on the active backend: bad input raised by the
 * ops themselves, and the CPCP network against PyTorch.
 */
import {
  add,
  avgPool2d,
  batchNorm,
  concat,
  conv2d,
  flatten,
  matMul,
  maxPool2d,
  maxPool2dGradArgmax,
  memory,
  mul,
  planPool2d,
  reshape,
  adamUpdateMany,
  sgdUpdateMany,
  softmaxCrossEntropy,
  tensor,
  valueAndGrads,
  zeros,
  type Tensor,
} from '@stridenet/core';
import { badOpCases, type BadOpCase, type OpName } from './cases/bad-input.js';
import { goldenCases } from './golden/index.js';
import { expectClose } from './harness/compare.js';
import type { Check } from './harness/check.js';
import { expectTypedError, ExpectationError } from './suites/bad-input.js';
import { largest } from './suites/util.js';

type Args = readonly unknown[];
const OPS: Record<OpName, (ts: Tensor[], args: Args) => unknown> = {
  tensor: (_, [values, shape]) => tensor(values as number[], shape as number[]),
  // A third tensor is the residual.
  conv2d: ([x, w, r], [o]) => conv2d(x!, w!, r ? { ...(o as object), residual: r } : (o as object)),
  maxPool2d: ([x], [o]) => maxPool2d(x!, o as Parameters<typeof maxPool2d>[1]),
  avgPool2d: ([x], [o]) => avgPool2d(x!, o as Parameters<typeof avgPool2d>[1]),
  maxPool2dGradArgmax: ([dy, argmax], [input, o]) =>
    maxPool2dGradArgmax(dy!, argmax!, Array.isArray(input) ? planPool2d(input, o as Parameters<typeof planPool2d>[1]) : (input as Parameters<typeof maxPool2dGradArgmax>[2])),
  add: ([a, b]) => add(a!, b!),
  mul: ([a, b]) => mul(a!, b!),
  matMul: ([a, b], [o]) => matMul(a!, b!, o as object),
  softmaxCrossEntropy: ([l, y]) => softmaxCrossEntropy(l!, y!),
  // With a second argument { momentum }, tensors 4 and 5 are the running mean and variance; otherwise a fourth tensor is the residual.
  batchNorm: ([x, g, b, r, rv], [o, running]) => {
    const options = o as { training: true };
    if (running) return batchNorm(x!, g!, b!, { ...options, running: { mean: r!, variance: rv!, momentum: (running as { momentum: number }).momentum } });
    return batchNorm(x!, g!, b!, r ? { ...options, residual: r } : options);
  },
  concat: (ts, [axis]) => concat(ts, axis as number),
  reshape: ([x], [shape]) => reshape(x!, shape as number[]),
  // args: how many tensors the first lists take; the last list gets the rest.
  sgdUpdateMany: (ts, [np, ng]) =>
    sgdUpdateMany(...(splitLists(ts, [np, ng]) as [Tensor[], Tensor[], Tensor[]]), { lr: 0.1, momentum: 0.9, nesterov: false, weightDecay: 0 }),
  adamUpdateMany: (ts, [np, ng, nm]) =>
    adamUpdateMany(...(splitLists(ts, [np, ng, nm]) as [Tensor[], Tensor[], Tensor[], Tensor[]]), {
      lr: 1e-3,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
      weightDecay: 0,
      decoupled: false,
      step: 1,
    }),
};

function splitLists(ts: Tensor[], counts: readonly unknown[]): Tensor[][] {
  const lists: Tensor[][] = [];
  let at = 0;
  for (const n of counts as number[]) {
    lists.push(ts.slice(at, at + n));
    at += n;
  }
  return [...lists, ts.slice(at)];
}

/** Tensors alive in core and in the backend's own accounting must return to their starting values. */
export function expectNoLeak(what: string, start: number): void {
  const now = memory().tensors;
  if (now !== start) throw new ExpectationError(`${what}: ${now - start} tensors still live in core after the check disposed its own`);
}

function badOpCheck(c: BadOpCase): Check {
  return {
    group: 'bad-input',
    kernel: c.op,
    option: c.name,
    title: `${c.error} from the op`,
    elements: 0,
    uses: () => [],
    run: async () => {
      const start = memory().tensors;
      const inputs = c.tensors.map((s) => zeros(s));
      try {
        expectTypedError(c.name, () => OPS[c.op](inputs, c.args), c.error, c.message);
      } finally {
        for (const t of inputs) t.dispose();
      }
      expectNoLeak(c.name, start);
    },
  };
}

function cpcpChecks(): Check[] {
  return goldenCases('cpcp').map((g): Check => {
    const order = g.params.order as string[];
    return {
      group: 'model',
      kernel: 'CPCP network',
      option: `PyTorch: ${g.name}`,
      title: 'loss and parameter gradients (conv, relu, max pool, conv, relu, avg pool, dense, softmax cross-entropy)',
      elements: largest(...Object.values(g.tensors).map((t) => t.shape)),
      uses: () => [],
      run: async () => {
        const start = memory().tensors;
        const t = (n: string) => tensor(g.tensors[n]!.data, g.tensors[n]!.shape);
        const x = t('x');
        const labels = t('labels');
        const params = order.map(t);
        const [w1, b1, w2, b2, wd, bd] = params as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor];
        try {
          const { value, grads } = valueAndGrads(() => {
            const h1 = maxPool2d(conv2d(x, w1, { bias: b1, activation: 'relu' }), { window: 2 });
            const h2 = avgPool2d(conv2d(h1, w2, { bias: b2, activation: 'relu' }), { window: 2 });
            // PyTorch's Linear keeps weights [out, in]: y = x W^T + b.
            return softmaxCrossEntropy(matMul(flatten(h2), wd, { transposeB: true, bias: bd }), labels);
          }, params);
          try {
            const loss = (await value.data())[0]!;
            const want = g.tensors.loss!.data[0]!;
            if (!(Math.abs(loss - want) <= 1e-4 * Math.abs(want))) {
              throw new ExpectationError(`CPCP loss ${loss} differs from PyTorch's ${want} by more than 1e-4 relative`);
            }
            for (let i = 0; i < order.length; i++) {
              expectClose(`gradient of ${order[i]} vs PyTorch`, await grads[i]!.data(), g.tensors[`grad.${order[i]}`]!.data, 1e-4);
            }
          } finally {
            value.dispose();
            for (const d of grads) d.dispose();
          }
        } finally {
          for (const p of [x, labels, ...params]) p.dispose();
        }
        expectNoLeak('CPCP network', start);
      },
    };
  });
}

export function opChecks(): Check[] {
  return [...badOpCases.map(badOpCheck), ...cpcpChecks()];
}
