/**
 * Bad input through core's plan builders: each case must throw the named StridenetError subclass
 * with the exact message, before any kernel runs and without allocating anything.
 */
import {
  ArgumentError,
  ShapeError,
  StridenetError,
  memory,
  planBroadcast,
  planChannel,
  planConcat,
  planExpand,
  planConv2d,
  planMatMul,
  planPad,
  planPool2d,
  planRows,
  planSlice,
  planTensorList,
  planTranspose,
} from '@stridenet/core';
import { badInputCases, type PlanBuilderName } from '../cases/bad-input.js';
import type { Check } from '../harness/check.js';

const BUILDERS: Record<PlanBuilderName, (...args: any[]) => unknown> = {
  planConv2d,
  planPool2d,
  planMatMul,
  planBroadcast,
  planExpand,
  planChannel,
  planRows,
  planTranspose,
  planSlice,
  planPad,
  planConcat,
  planTensorList,
};

export class ExpectationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExpectationError';
  }
}

/** Runs `call`, which must throw `errorClass` with exactly `message` and leave core's live-tensor count unchanged. */
export function expectTypedError(what: string, call: () => unknown, errorClass: 'ShapeError' | 'ArgumentError', message: string): void {
  const before = memory().tensors;
  let thrown: unknown;
  try {
    call();
  } catch (e) {
    thrown = e;
  }
  const after = memory().tensors;
  if (thrown === undefined) throw new ExpectationError(`${what}: no error was thrown; expected ${errorClass}: ${message}`);
  const cls = errorClass === 'ShapeError' ? ShapeError : ArgumentError;
  if (!(thrown instanceof StridenetError) || !(thrown instanceof cls)) {
    throw new ExpectationError(`${what}: threw ${(thrown as Error)?.name}: ${(thrown as Error)?.message}; expected ${errorClass}: ${message}`);
  }
  if (thrown.message !== message) {
    throw new ExpectationError(`${what}: message is\n  ${thrown.message}\nbut expected\n  ${message}`);
  }
  if (after !== before) throw new ExpectationError(`${what}: ${after - before} tensors were left allocated by the failed call`);
}

export function badInputChecks(): Check[] {
  return badInputCases.map((c): Check => ({
    group: 'bad-input',
    kernel: c.op,
    option: c.name,
    title: `${c.error} from ${c.call.builder}`,
    elements: 0,
    uses: () => [],
    run: async () => expectTypedError(c.name, () => BUILDERS[c.call.builder](...c.call.args), c.error, c.message),
  }));
}
