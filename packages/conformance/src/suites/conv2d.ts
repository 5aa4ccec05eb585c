import { planChannel, planConv2d } from '@stridenet/core';
import { conv2dCases } from '../cases/conv2d.js';
import { DEFAULT_TOLERANCE } from '../cases/types.js';
import * as ref from '../reference/index.js';
import { expectClose } from '../harness/compare.js';
import { sizeOf, uniform } from '../harness/data.js';
import { directionalCheck } from '../harness/gradcheck.js';
import { use, type Check } from '../harness/check.js';
import { largest, plantNonFinite } from './util.js';

export function conv2dChecks(): Check[] {
  return conv2dCases.flatMap((c): Check[] => {
    const plan = planConv2d(c.input, c.filter, c.options);
    const key = `conv2d/${c.name}`;
    const tol = c.tolerance ?? DEFAULT_TOLERANCE.conv2d;
    const x0 = uniform(`${key}/x`, sizeOf(c.input));
    const x = c.special === 'nan-inf' ? plantNonFinite(x0) : x0;
    const w = uniform(`${key}/w`, sizeOf(c.filter), -0.5, 0.5);
    const b = c.bias ? uniform(`${key}/b`, c.filter[0]) : undefined;
    const dy = uniform(`${key}/dy`, sizeOf(plan.outShape));
    // Residuals about as large as the convolution's outputs, so that relu cuts both signs of the sum.
    const r = c.residual ? uniform(`${key}/residual`, sizeOf(plan.outShape), -2, 2) : undefined;
    const base = { group: 'conv2d' as const, option: c.name, elements: largest(c.input, c.filter, plan.outShape) };
    const forward: Check = {
      ...base,
      kernel: 'Conv2D',
      title: `forward (${c.activation}${c.bias ? ', bias' : ''}${r ? ', residual' : ''})`,
      uses: () => [use('Conv2D', { plan, activation: c.activation })],
      run: async (s) => {
        const [y] = await s.compute('Conv2D', { x, filter: w, bias: b, residual: r }, { plan, activation: c.activation });
        expectClose('Conv2D output', y!, ref.conv2d(x, w, b, plan, c.activation, r), tol);
      },
    };
    // A filter core marked constant (Backend.markConstant, as compile() does): a backend may prepare it
    // once and pick another algorithm (wasm: Winograd F(4x4, 3x3)); the second call reuses what the first
    // made, and freeing the filter frees it (the session's leak check).
    const constant: Check = {
      ...forward,
      title: `${forward.title}, filter marked constant, two calls`,
      run: async (s) => {
        const handles = { x: s.upload(x), filter: s.upload(w), ...(b ? { bias: s.upload(b) } : {}), ...(r ? { residual: s.upload(r) } : {}) };
        s.backend.markConstant?.(handles.filter);
        const want = ref.conv2d(x, w, b, plan, c.activation, r);
        for (const call of ['first', 'second']) {
          const y = s.run('Conv2D', handles, { plan, activation: c.activation });
          expectClose(`Conv2D output (${call} call)`, await s.read(y), want, tol);
          s.free(y);
        }
      },
    };
    // A call core records no gradient through (Conv2D's noGrad, set for inference): a backend may take
    // algorithms that round differently, still within the tolerance (native: Winograd for any filter).
    const noGradAttrs = { plan, activation: c.activation, noGrad: true };
    const noGrad: Check = {
      ...forward,
      title: `${forward.title}, noGrad`,
      uses: () => [use('Conv2D', noGradAttrs)],
      run: async (s) => {
        const [y] = await s.compute('Conv2D', { x, filter: w, bias: b, residual: r }, noGradAttrs);
        expectClose('Conv2D output (noGrad)', y!, ref.conv2d(x, w, b, plan, c.activation, r), tol);
      },
    };
    if (c.special || c.residual) return [forward, constant, noGrad];
    const biasPlan = planChannel('conv2d', plan.outShape, plan.outChannels, 'bias');
    return [
      forward,
      constant,
      noGrad,
      {
        ...base,
        kernel: 'Conv2DBackpropInput',
        title: 'backprop input vs reference',
        uses: () => [use('Conv2DBackpropInput', { plan })],
        run: async (s) => {
          const [dx] = await s.compute('Conv2DBackpropInput', { dy, filter: w }, { plan });
          expectClose('Conv2DBackpropInput dx', dx!, ref.conv2dBackpropInput(dy, w, plan), tol);
        },
      },
      {
        ...base,
        kernel: 'Conv2DBackpropFilter',
        title: 'backprop filter vs reference',
        uses: () => [use('Conv2DBackpropFilter', { plan })],
        run: async (s) => {
          const [dw] = await s.compute('Conv2DBackpropFilter', { x, dy }, { plan });
          expectClose('Conv2DBackpropFilter dfilter', dw!, ref.conv2dBackpropFilter(x, dy, plan), tol);
        },
      },
      {
        ...base,
        kernel: 'Conv2D',
        title: 'gradients by finite differences (input, filter, bias)',
        uses: () => [
          use('Conv2D', { plan, activation: 'linear' }),
          use('Conv2DBackpropInput', { plan }),
          use('Conv2DBackpropFilter', { plan }),
          ...(b ? [use('BiasAddGrad', { plan: biasPlan })] : []),
        ],
        run: async (s) => {
          const [dx] = await s.compute('Conv2DBackpropInput', { dy, filter: w }, { plan });
          const [dw] = await s.compute('Conv2DBackpropFilter', { x, dy }, { plan });
          const db = b ? (await s.compute('BiasAddGrad', { dy }, { plan: biasPlan }))[0]! : null;
          await directionalCheck({
            key,
            inputs: b ? [x, w, b] : [x, w],
            grads: b ? [dx!, dw!, db] : [dx!, dw!],
            r: dy,
            h: 1e-2,
            forward: async ([xi, wi, bi]) =>
              (await s.compute('Conv2D', { x: xi!, filter: wi!, bias: bi }, { plan, activation: 'linear' }))[0]!,
          });
        },
      },
    ];
  });
}
