/** Kernel-level checks against the PyTorch 1.13 golden cases (tools/fixtures/make_golden.py). */
import { planChannel, planConv2d, planPool2d, planRows, type AdamAttrs, type SgdAttrs } from '@stridenet/core';
import { DEFAULT_TOLERANCE } from '../cases/types.js';
import { goldenCases, type GoldenCase } from '../golden/index.js';
import { expectClose } from '../harness/compare.js';
import { use, type Check, type KernelUse } from '../harness/check.js';
import type { KernelSession } from '../harness/session.js';
import { largest } from './util.js';

const TOL = DEFAULT_TOLERANCE.golden;

function golden(g: GoldenCase, kernel: string, title: string, uses: () => KernelUse[], run: (s: KernelSession) => Promise<void>): Check {
  const elements = largest(...Object.values(g.tensors).map((t) => t.shape));
  return { group: 'golden', kernel, option: `PyTorch: ${g.name}`, title, elements, uses, run };
}

function convChecks(g: GoldenCase): Check[] {
  const t = (n: string) => g.tensors[n]!.data;
  const plan = planConv2d(g.tensors.x!.shape, g.tensors.filter!.shape, g.params.options);
  const activation = g.params.activation as 'linear' | 'relu';
  const bias = g.params.bias ? t('bias') : undefined;
  // PyTorch's gradients went through the relu: mask dy where the output is not positive.
  const dy = activation === 'relu' ? t('dy').map((v, i) => (t('y')[i]! > 0 ? v : 0)) : t('dy');
  const biasPlan = planChannel('conv2d', plan.outShape, plan.outChannels, 'bias');
  return [
    golden(g, 'Conv2D', 'forward', () => [use('Conv2D', { plan, activation })], async (s) => {
      const [y] = await s.compute('Conv2D', { x: t('x'), filter: t('filter'), bias }, { plan, activation });
      expectClose('Conv2D vs PyTorch', y!, t('y'), TOL);
    }),
    golden(g, 'Conv2DBackpropInput', 'dx', () => [use('Conv2DBackpropInput', { plan })], async (s) => {
      const [dx] = await s.compute('Conv2DBackpropInput', { dy, filter: t('filter') }, { plan });
      expectClose('dx vs PyTorch', dx!, t('dx'), TOL);
    }),
    golden(g, 'Conv2DBackpropFilter', 'dfilter and dbias', () => [use('Conv2DBackpropFilter', { plan }), use('BiasAddGrad', { plan: biasPlan })], async (s) => {
      const [dw] = await s.compute('Conv2DBackpropFilter', { x: t('x'), dy }, { plan });
      expectClose('dfilter vs PyTorch', dw!, t('dfilter'), TOL);
      if (bias) {
        const [db] = await s.compute('BiasAddGrad', { dy }, { plan: biasPlan });
        expectClose('dbias vs PyTorch', db!, t('dbias'), TOL);
      }
    }),
  ];
}

function poolChecks(g: GoldenCase): Check[] {
  const t = (n: string) => g.tensors[n]!.data;
  const plan = planPool2d(g.tensors.x!.shape, g.params.options);
  const max = g.kind === 'maxPool2d';
  const fwd = max ? 'MaxPool2D' : 'AvgPool2D';
  const checks = [
    golden(g, fwd, 'forward', () => [use(fwd, { plan })], async (s) => {
      const [y] = await s.compute(fwd, { x: t('x') }, { plan });
      expectClose(`${fwd} vs PyTorch`, y!, t('y'), TOL);
    }),
  ];
  if (max && g.tensors.argmax) {
    // PyTorch's indices (return_indices), converted to window taps by the generator.
    checks.push(
      golden(g, 'MaxPool2DArgmax', 'forward with argmax', () => [use('MaxPool2DArgmax', { plan })], async (s) => {
        const [y, argmax] = await s.compute('MaxPool2DArgmax', { x: t('x') }, { plan });
        expectClose('MaxPool2DArgmax y vs PyTorch', y!, t('y'), TOL);
        expectClose('MaxPool2DArgmax argmax vs PyTorch indices', argmax!, t('argmax'), 0);
      }),
    );
    if (g.tensors.dx) {
      checks.push(
        golden(g, 'MaxPool2DGradArgmax', 'dx from PyTorch indices', () => [use('MaxPool2DGradArgmax', { plan })], async (s) => {
          const [dx] = await s.compute('MaxPool2DGradArgmax', { dy: t('dy'), argmax: t('argmax') }, { plan });
          expectClose('MaxPool2DGradArgmax vs PyTorch', dx!, t('dx'), TOL);
        }),
      );
    }
  }
  if (g.tensors.dx) {
    const grad = max ? 'MaxPool2DGrad' : 'AvgPool2DGrad';
    checks.push(
      golden(g, grad, 'dx', () => [use(grad, { plan })], async (s) => {
        const [dx] = max
          ? await s.compute('MaxPool2DGrad', { dy: t('dy'), x: t('x') }, { plan })
          : await s.compute('AvgPool2DGrad', { dy: t('dy') }, { plan });
        expectClose(`${grad} vs PyTorch`, dx!, t('dx'), TOL);
      }),
    );
  }
  return checks;
}

function otherChecks(g: GoldenCase): Check[] {
  const t = (n: string) => g.tensors[n]!.data;
  const shape = (n: string) => g.tensors[n]!.shape;
  switch (g.kind) {
    case 'softmax': {
      const plan = planRows('softmax', shape('x'));
      const attrs = { plan, log: g.params.log as boolean };
      return [
        golden(g, 'Softmax', 'forward', () => [use('Softmax', attrs)], async (s) => {
          const [y] = await s.compute('Softmax', { x: t('x') }, attrs);
          expectClose('softmax vs PyTorch', y!, t('y'), TOL);
        }),
      ];
    }
    case 'softmaxCrossEntropy': {
      const plan = planRows('softmaxCrossEntropy', shape('logits'));
      return [
        golden(g, 'SoftmaxCrossEntropy', 'loss', () => [use('SoftmaxCrossEntropy', { plan })], async (s) => {
          const [loss] = await s.compute('SoftmaxCrossEntropy', { logits: t('logits'), labels: t('labels') }, { plan });
          expectClose('cross-entropy vs PyTorch', loss!, t('loss'), TOL);
        }),
        golden(g, 'SoftmaxCrossEntropyGrad', 'dlogits', () => [use('SoftmaxCrossEntropyGrad', { plan })], async (s) => {
          const [d] = await s.compute('SoftmaxCrossEntropyGrad', { dloss: t('dloss'), logits: t('logits'), labels: t('labels') }, { plan });
          expectClose('dlogits vs PyTorch', d!, t('dlogits'), TOL);
        }),
      ];
    }
    case 'batchNorm': {
      const plan = planChannel('batchNorm', shape('x'), shape('gamma')[0]!, 'gamma');
      const attrs = { plan, epsilon: g.params.epsilon as number };
      const trainAttrs = { ...attrs, activation: 'linear' as const, momentum: 0 };
      const gradAttrs = { ...attrs, activation: 'linear' as const };
      return [
        golden(g, 'BatchNormTrain', 'training forward', () => [use('BatchNormTrain', trainAttrs)], async (s) => {
          const [y, m, v] = await s.compute('BatchNormTrain', { x: t('x'), gamma: t('gamma'), beta: t('beta') }, trainAttrs);
          expectClose('y vs PyTorch', y!, t('y'), TOL);
          expectClose('mean vs PyTorch', m!, t('mean'), TOL);
          expectClose('variance vs PyTorch', v!, t('variance'), TOL);
        }),
        golden(g, 'BatchNormInference', 'inference forward', () => [use('BatchNormInference', attrs)], async (s) => {
          const [y] = await s.compute(
            'BatchNormInference',
            { x: t('x'), gamma: t('gamma'), beta: t('beta'), mean: t('runningMean'), variance: t('runningVariance') },
            attrs,
          );
          expectClose('inference y vs PyTorch', y!, t('yInference'), TOL);
        }),
        golden(g, 'BatchNormGrad', 'dx, dgamma, dbeta', () => [use('BatchNormGrad', gradAttrs)], async (s) => {
          const [dx, dgamma, dbeta] = await s.compute(
            'BatchNormGrad',
            { dy: t('dy'), x: t('x'), gamma: t('gamma'), mean: t('mean'), variance: t('variance') },
            gradAttrs,
          );
          expectClose('dx vs PyTorch', dx!, t('dx'), TOL);
          expectClose('dgamma vs PyTorch', dgamma!, t('dgamma'), TOL);
          expectClose('dbeta vs PyTorch', dbeta!, t('dbeta'), TOL);
        }),
      ];
    }
    case 'unary': {
      const attrs = { op: g.params.op, alpha: g.params.alpha as number, size: t('x').length };
      return [
        golden(g, 'Unary', 'forward', () => [use('Unary', attrs)], async (s) => {
          const [y] = await s.compute('Unary', { x: t('x') }, attrs);
          expectClose(`${attrs.op} vs PyTorch`, y!, t('y'), 1e-5);
        }),
        golden(g, 'UnaryGrad', 'dx', () => [use('Unary', attrs), use('UnaryGrad', attrs)], async (s) => {
          const [y] = await s.compute('Unary', { x: t('x') }, attrs);
          const [dx] = await s.compute('UnaryGrad', { dy: t('dy'), x: t('x'), y: y! }, attrs);
          expectClose(`${attrs.op} gradient vs PyTorch`, dx!, t('dx'), 1e-5);
        }),
      ];
    }
    case 'sgd':
    case 'adam': {
      const size = t('param0').length;
      const steps = shape('steps')[0]!;
      const sgd = g.kind === 'sgd';
      const kernel = sgd ? 'SgdUpdate' : 'AdamUpdate';
      const attrsAt = (step: number) => (sgd ? ({ ...g.params, size } as SgdAttrs) : ({ ...g.params, size, step } as AdamAttrs));
      return [
        golden(g, kernel, `${steps} steps vs torch.optim`, () => [use(kernel, attrsAt(1))], async (s) => {
          const param = s.upload(t('param0'));
          const state = (sgd ? [0] : [0, 1]).map(() => s.upload(new Float32Array(size)));
          for (let step = 1; step <= steps; step++) {
            const grad = s.upload(t('grads').subarray((step - 1) * size, step * size));
            if (sgd) s.run('SgdUpdate', { param, grad, velocity: state[0]! }, attrsAt(step) as SgdAttrs);
            else s.run('AdamUpdate', { param, grad, m: state[0]!, v: state[1]! }, attrsAt(step) as AdamAttrs);
            s.free(grad);
            expectClose(`param after step ${step} vs torch.optim`, await s.read(param), t('steps').subarray((step - 1) * size, step * size), 1e-5);
          }
        }),
      ];
    }
    default:
      return [];
  }
}

export function goldenChecks(): Check[] {
  return goldenCases().flatMap((g) =>
    g.kind === 'conv2d' ? convChecks(g) : g.kind === 'maxPool2d' || g.kind === 'avgPool2d' ? poolChecks(g) : otherChecks(g),
  );
}
