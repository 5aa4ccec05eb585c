/**
 * Core's composed gradients on the active backend: valueAndGrads of sum(op(inputs) * r) against
 * finite differences of the op's forward pass on the same backend.
 */
import * as core from '@stridenet/core';
import { memory, mul, sum, tensor, tidy, valueAndGrads, type Tensor } from '@stridenet/core';
import { autogradCases, type AutogradCase, type GradOpName } from '../cases/autograd.js';
import { awayFromZero, distinct, seedOf, sizeOf, uniform } from '../harness/data.js';
import { directionalCheck } from '../harness/gradcheck.js';
import type { Check } from '../harness/check.js';
import { ExpectationError } from './bad-input.js';
import { largest } from './util.js';

type Args = readonly any[];
const OPS: Record<GradOpName, (t: Tensor[], a: Args) => Tensor> = {
  conv2d: ([x, w, b], [o]) => core.conv2d(x!, w!, { ...o, bias: b }),
  conv1d: ([x, w, b], [o]) => core.conv1d(x!, w!, { ...o, bias: b }),
  maxPool2d: ([x], [o]) => core.maxPool2d(x!, o),
  maxPool1d: ([x], [o]) => core.maxPool1d(x!, o),
  avgPool2d: ([x], [o]) => core.avgPool2d(x!, o),
  matMul: ([a, b, bias], [o]) => core.matMul(a!, b!, { ...o, bias }),
  biasAdd: ([x, b]) => core.biasAdd(x!, b!),
  add: ([a, b]) => core.add(a!, b!),
  sub: ([a, b]) => core.sub(a!, b!),
  mul: ([a, b]) => core.mul(a!, b!),
  div: ([a, b]) => core.div(a!, b!),
  maximum: ([a, b]) => core.maximum(a!, b!),
  minimum: ([a, b]) => core.minimum(a!, b!),
  relu: ([x]) => core.relu(x!),
  leakyRelu: ([x], [alpha]) => core.leakyRelu(x!, alpha),
  elu: ([x], [alpha]) => core.elu(x!, alpha),
  sigmoid: ([x]) => core.sigmoid(x!),
  tanh: ([x]) => core.tanh(x!),
  exp: ([x]) => core.exp(x!),
  log: ([x]) => core.log(x!),
  sqrt: ([x]) => core.sqrt(x!),
  neg: ([x]) => core.neg(x!),
  square: ([x]) => core.square(x!),
  sum: ([x], [axes, keep]) => core.sum(x!, axes, keep),
  mean: ([x], [axes, keep]) => core.mean(x!, axes, keep),
  max: ([x], [axes, keep]) => core.max(x!, axes, keep),
  softmax: ([x]) => core.softmax(x!),
  logSoftmax: ([x]) => core.logSoftmax(x!),
  softmaxCrossEntropy: ([l, y]) => core.softmaxCrossEntropy(l!, y!),
  batchNorm: ([x, g, b, residual], [o]) => core.batchNorm(x!, g!, b!, residual ? { ...o, residual } : o).y,
  concat: (ts, [axis]) => core.concat(ts, axis),
  slice: ([x], [begin, size]) => core.slice(x!, begin, size),
  transpose: ([x], [perm]) => core.transpose(x!, perm),
  pad: ([x], [paddings, value]) => core.pad(x!, paddings, value),
  reshape: ([x], [shape]) => core.reshape(x!, shape),
};

function inputValues(c: AutogradCase, key: string): Float32Array[] {
  return c.shapes.map((shape, i) => {
    const n = sizeOf(shape);
    const k = `${key}/${i}`;
    switch (c.values?.[i] ?? 'uniform') {
      case 'positive':
        return uniform(k, n, 0.5, 2);
      case 'distinct':
        return distinct(k, n);
      case 'away':
        return awayFromZero(k, n);
      case 'labels': {
        const cols = shape[shape.length - 1]!;
        const rng = new core.Rng(seedOf(k));
        const out = new Float32Array(n);
        for (let r = 0; r < n / cols; r++) out[r * cols + rng.int(cols)] = 1;
        return out;
      }
      default:
        return uniform(k, n);
    }
  });
}

function autogradCheck(c: AutogradCase): Check {
  const key = `autograd/${c.name}`;
  const op = OPS[c.op];
  return {
    group: 'autograd',
    kernel: c.op,
    option: c.name,
    title: 'valueAndGrads vs finite differences',
    elements: largest(...c.shapes),
    uses: () => [],
    run: async () => {
      const start = memory().tensors;
      const values = inputValues(c, key);
      const constant = values.map((_, i) => c.values?.[i] === 'labels');
      const forward = async (vs: readonly Float32Array[]) => {
        const ins = vs.map((v, i) => tensor(v, c.shapes[i]!));
        const y = tidy(() => op(ins, c.args));
        const out = await y.data();
        y.dispose();
        for (const t of ins) t.dispose();
        return out;
      };
      const ys = await forward(values);
      const r = uniform(`${key}/r`, ys.length);
      const ins = values.map((v, i) => tensor(v, c.shapes[i]!));
      const wanted = ins.filter((_, i) => !constant[i]);
      let grads: Float32Array[] = [];
      try {
        const probe = tidy(() => op(ins, c.args));
        const rt = tensor(r, probe.shape);
        probe.dispose();
        try {
          const res = valueAndGrads(() => sum(mul(op(ins, c.args), rt)), wanted);
          grads = await Promise.all(res.grads.map((g) => g.data()));
          res.grads.forEach((g, i) => {
            if (g.shape.join(',') !== wanted[i]!.shape.join(',')) {
              throw new ExpectationError(`gradient ${i} has shape [${g.shape.join(',')}] but its input [${wanted[i]!.shape.join(',')}]`);
            }
          });
          res.value.dispose();
          for (const g of res.grads) g.dispose();
        } finally {
          rt.dispose();
        }
      } finally {
        for (const t of ins) t.dispose();
      }
      let next = 0;
      await directionalCheck({
        key,
        inputs: values,
        grads: values.map((_, i) => (constant[i] ? null : grads[next++]!)),
        r,
        h: c.h ?? 1e-3,
        forward: (vs) => forward(vs),
      });
      const now = memory().tensors;
      if (now !== start) throw new ExpectationError(`${c.name}: ${now - start} tensors left alive in core`);
    },
  };
}

export function autogradChecks(): Check[] {
  return autogradCases.map(autogradCheck);
}
