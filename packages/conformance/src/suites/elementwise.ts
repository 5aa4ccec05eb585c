import { planBroadcast, planChannel, planExpand } from '@stridenet/core';
import { biasAddCases, binaryCases, dropoutCases, expandCases, unaryCases } from '../cases/elementwise.js';
import { DEFAULT_TOLERANCE } from '../cases/types.js';
import * as ref from '../reference/index.js';
import { expectClose } from '../harness/compare.js';
import { awayFromZero, sizeOf, uniform } from '../harness/data.js';
import { directionalCheck } from '../harness/gradcheck.js';
import { use, type Check } from '../harness/check.js';
import { largest } from './util.js';

const KINKED = new Set(['relu', 'leakyRelu', 'elu']);

function binaryChecks(): Check[] {
  return binaryCases.flatMap((c): Check[] => {
    const plan = planBroadcast(c.op, c.a, c.b);
    const key = `binary/${c.name}`;
    const tol = c.tolerance ?? DEFAULT_TOLERANCE.elementwise;
    let a = uniform(`${key}/a`, sizeOf(c.a));
    let b = uniform(`${key}/b`, sizeOf(c.b));
    if (c.op === 'div') b = awayFromZero(`${key}/b`, b.length, 0.5, 2);
    if (c.op === 'equal') {
      // Few levels, so that equal entries actually occur.
      a = a.map((v) => Math.round(v * 2));
      b = b.map((v) => Math.round(v * 2));
    }
    const sameShape = c.a.length === c.b.length && c.a.every((d, i) => d === c.b[i]);
    if ((c.op === 'max' || c.op === 'min') && sameShape) {
      // Keep every pair at least 0.05 apart, so the finite-difference step cannot swap a winner.
      const gap = awayFromZero(`${key}/gap`, a.length, 0.05, 1);
      b = a.map((v, i) => v + gap[i]!);
    }
    const dy = uniform(`${key}/dy`, plan.size);
    const base = { group: 'elementwise' as const, kernel: 'Binary', option: c.name, elements: largest(c.a, c.b, plan.outShape) };
    const checks: Check[] = [
      {
        ...base,
        title: 'forward',
        uses: () => [use('Binary', { op: c.op, plan })],
        run: async (s) => {
          const [y] = await s.compute('Binary', { a, b }, { op: c.op, plan });
          expectClose(`Binary ${c.op}`, y!, ref.binary(c.op, a, b, plan), tol);
        },
      },
    ];
    const differentiable = c.op !== 'equal' && !((c.op === 'max' || c.op === 'min') && !sameShape);
    if (differentiable) {
      checks.push({
        ...base,
        title: 'forward agrees with the reference gradient (finite differences)',
        uses: () => [use('Binary', { op: c.op, plan })],
        run: async (s) => {
          const g = ref.binaryGrad(c.op, dy, a, b, plan);
          await directionalCheck({
            key,
            inputs: [a, b],
            grads: [g.da, g.db],
            r: dy,
            h: 1e-2,
            forward: async ([ai, bi]) => (await s.compute('Binary', { a: ai!, b: bi! }, { op: c.op, plan }))[0]!,
          });
        },
      });
    }
    return checks;
  });
}

function unaryChecks(): Check[] {
  return unaryCases.flatMap((c): Check[] => {
    const key = `unary/${c.name}`;
    const tol = c.tolerance ?? DEFAULT_TOLERANCE.elementwise;
    const x = KINKED.has(c.op)
      ? awayFromZero(`${key}/x`, c.size, 0.05, c.high)
      : uniform(`${key}/x`, c.size, c.low, c.high);
    const dy = uniform(`${key}/dy`, c.size);
    const attrs = { op: c.op, alpha: c.alpha, size: c.size };
    const base = { group: 'elementwise' as const, option: c.name, elements: c.size };
    const backendGrad = async (s: Parameters<Check['run']>[0]) => {
      const [y] = await s.compute('Unary', { x }, attrs);
      const [dx] = await s.compute('UnaryGrad', { dy, x, y: y! }, attrs);
      return { y: y!, dx: dx! };
    };
    return [
      {
        ...base,
        kernel: 'Unary',
        title: 'forward',
        uses: () => [use('Unary', attrs)],
        run: async (s) => {
          const [y] = await s.compute('Unary', { x }, attrs);
          expectClose(`Unary ${c.op}`, y!, ref.unary(c.op, x, c.alpha), tol);
        },
      },
      {
        ...base,
        kernel: 'UnaryGrad',
        title: 'gradient vs reference',
        uses: () => [use('Unary', attrs), use('UnaryGrad', attrs)],
        run: async (s) => {
          const { y, dx } = await backendGrad(s);
          expectClose(`UnaryGrad ${c.op}`, dx, ref.unaryGrad(c.op, dy, x, y, c.alpha), tol);
        },
      },
      {
        ...base,
        kernel: 'UnaryGrad',
        title: 'gradient by finite differences',
        uses: () => [use('Unary', attrs), use('UnaryGrad', attrs)],
        run: async (s) => {
          const { dx } = await backendGrad(s);
          await directionalCheck({
            key,
            inputs: [x],
            grads: [dx],
            r: dy,
            h: 1e-3,
            forward: async ([xi]) => (await s.compute('Unary', { x: xi! }, attrs))[0]!,
          });
        },
      },
    ];
  });
}

function biasAddChecks(): Check[] {
  return biasAddCases.flatMap((c): Check[] => {
    const channels = c.shape[1]!;
    const plan = planChannel('biasAdd', c.shape, channels, 'bias');
    const key = `biasAdd/${c.name}`;
    const tol = c.tolerance ?? DEFAULT_TOLERANCE.elementwise;
    const x = uniform(`${key}/x`, sizeOf(c.shape));
    const bias = uniform(`${key}/bias`, channels);
    const dy = uniform(`${key}/dy`, x.length);
    const base = { group: 'elementwise' as const, option: c.name, elements: x.length };
    return [
      {
        ...base,
        kernel: 'BiasAdd',
        title: 'forward',
        uses: () => [use('BiasAdd', { plan })],
        run: async (s) => {
          const [y] = await s.compute('BiasAdd', { x, bias }, { plan });
          expectClose('BiasAdd', y!, ref.biasAdd(x, bias, plan), tol);
        },
      },
      {
        ...base,
        kernel: 'BiasAddGrad',
        title: 'gradient vs reference',
        uses: () => [use('BiasAddGrad', { plan })],
        run: async (s) => {
          const [db] = await s.compute('BiasAddGrad', { dy }, { plan });
          expectClose('BiasAddGrad', db!, ref.biasAddGrad(dy, plan), tol);
        },
      },
      {
        ...base,
        kernel: 'BiasAddGrad',
        title: 'gradient by finite differences',
        uses: () => [use('BiasAdd', { plan }), use('BiasAddGrad', { plan })],
        run: async (s) => {
          const [db] = await s.compute('BiasAddGrad', { dy }, { plan });
          await directionalCheck({
            key,
            inputs: [x, bias],
            grads: [dy, db!],
            r: dy,
            h: 1e-2,
            forward: async ([xi, bi]) => (await s.compute('BiasAdd', { x: xi!, bias: bi! }, { plan }))[0]!,
          });
        },
      },
    ];
  });
}

function expandChecks(): Check[] {
  return expandCases.map((c): Check => {
    const plan = planExpand('expand', c.from, c.to);
    const x = uniform(`expand/${c.name}/x`, sizeOf(c.from));
    return {
      group: 'elementwise',
      kernel: 'Expand',
      option: c.name,
      title: 'forward',
      elements: plan.size,
      uses: () => [use('Expand', { plan })],
      run: async (s) => {
        const [y] = await s.compute('Expand', { x }, { plan });
        // A copy: exact on every backend.
        expectClose('Expand', y!, ref.expand(x, plan), c.tolerance ?? 0);
      },
    };
  });
}

function dropoutChecks(): Check[] {
  return dropoutCases.map((c): Check => {
    const key = `dropout/${c.name}`;
    const x = uniform(`${key}/x`, c.size);
    const noise = uniform(`${key}/noise`, c.size, 0, 1);
    const attrs = { rate: c.rate, size: c.size };
    return {
      group: 'elementwise',
      kernel: 'Dropout',
      option: c.name,
      title: 'against the formula with given noise',
      elements: c.size,
      uses: () => [use('Dropout', attrs)],
      run: async (s) => {
        const [y] = await s.compute('Dropout', { x, noise }, attrs);
        expectClose('Dropout', y!, ref.dropout(x, noise, c.rate), c.tolerance ?? DEFAULT_TOLERANCE.elementwise);
      },
    };
  });
}

export function elementwiseChecks(): Check[] {
  return [...binaryChecks(), ...expandChecks(), ...unaryChecks(), ...biasAddChecks(), ...dropoutChecks()];
}
