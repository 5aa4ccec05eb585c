import type { Backend, KernelAttrs, KernelName } from '@stridenet/core';
import type { CaseGroup } from '../cases/types.js';
import type { KernelSession } from './session.js';

/** A kernel (with attributes) a check runs: the backend's supports() decides whether it is skipped. */
export interface KernelUse {
  kernel: KernelName;
  attrs: KernelAttrs<KernelName>;
}

export function use<K extends KernelName>(kernel: K, attrs: KernelAttrs<K>): KernelUse {
  return { kernel, attrs: attrs as unknown as KernelAttrs<KernelName> };
}

/** One `it` of the suite: a case crossed with one kind of check (forward, gradient, ...). */
export interface Check {
  group: CaseGroup;
  /** Capability-matrix row: a kernel name, or an op name for bad-input and model checks. */
  kernel: string;
  /** Capability-matrix option: the case name. */
  option: string;
  /** forward, backprop input, finite differences, ... */
  title: string;
  /** Largest tensor the check allocates (for the maxElements option). */
  elements: number;
  /** Kernels this check runs; any unsupported one skips it with the backend's reason. */
  uses(): KernelUse[];
  /** Kernel-level checks get a session that frees and leak-checks its handles afterwards. */
  run(session: KernelSession, backend: Backend): Promise<void>;
}
