import type { Workload } from '../workloads.js';
import type { WorkloadInputs } from '../data.js';

/** A workload set up on one runner: inputs uploaded, graph or model built. */
export interface Prepared {
  /** Runs `n` iterations back to back, each ending with its result on the host; returns seconds. */
  runIterations(n: number): Promise<number>;
  /** The output of the first iteration (for the deviation against cpu-js). */
  output(): Promise<Float32Array>;
  /** Backend-held bytes now (0 when unknown). */
  backendBytes(): number;
  /** Process (or child process) resident set size in bytes now. */
  rss(): Promise<number>;
  /** Tensors the runner's framework still holds, after dispose (leak check), or undefined. */
  dispose(): Promise<number | undefined>;
}

export interface RunnerInfo {
  /** 'native', 'wasm', 'tfjs-cpu', 'torch', ... */
  id: string;
  kind: 'stridenet' | 'peer';
  label: string;
  version: string;
  threads: number;
  device?: string;
  notes?: string[];
}

export interface Runner {
  info: RunnerInfo;
  /** true, or why this runner does not run this workload (reported as skipped). */
  supports(w: Workload): true | string;
  prepare(w: Workload, inputs: WorkloadInputs): Promise<Prepared>;
  close(): Promise<void>;
}

export type RunnerFactory = (options: { threads: number }) => Promise<Runner | string>;
