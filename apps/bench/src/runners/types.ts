import type { Workload } from '../workloads.js';
import type { WorkloadInputs } from '../data.js';

/** A workload set up on one runner: inputs uploaded, graph or model built. */
export interface Prepared {
  /**
   * Runs `n` iterations back to back and returns seconds. Each iteration's work is complete when the
   * clock stops (asynchronous backends sync before it does); outputs are not copied into JavaScript
   * (only the first call's output is kept, for the check): read-back is timed apart by `readback`.
   */
  runIterations(n: number): Promise<number>;
  /** The output of the first iteration (for the deviation against the reference). */
  output(): Promise<Float32Array>;
  /** Seconds to copy one finished output into host memory the runner's language can read, or undefined when it has none to time. */
  readback?(): Promise<number | undefined>;
  /** Which configuration of the runner this cell uses, when it picked one (PyTorch: thread wait policy, memory format, frozen graph). */
  variant?: string;
  /** Probe medians (ms per iteration) of every configuration tried, when it picked one. */
  variants?: Record<string, number>;
  /** Backend-held bytes now (0 when unknown). */
  backendBytes(): number;
  /** Process (or child process) resident set size in bytes now. */
  rss(): Promise<number>;
  /** Tensors the runner's framework still holds, after dispose (leak check), or undefined. */
  dispose(): Promise<number | undefined>;
}

/** Losses of each step and every trainable parameter after `steps` training steps with dropout off. */
export interface TrainCheck {
  losses: Float32Array;
  /** IR parameter name -> values in the IR's (PyTorch) layout, after the last step. */
  params: Record<string, Float32Array>;
  /** The same after the first step (when more than one ran): the gated weight check. */
  firstStepParams?: Record<string, Float32Array>;
}

/**
 * Float64 training steps from the check's starting weights (verify.ts compareTraining): `exact` with every ReLU as is,
 * and one per group of the ReLU inputs within `band` x (the RMS of that ReLU's input) of zero, `flipped[g]` with the
 * backward of group g's inputs taking the other side of zero (the forward stays the plain ReLU).
 */
export interface ReluFlips {
  band: number;
  exact: Record<string, Float32Array>;
  flipped: Record<string, Float32Array>[];
}

export interface RunnerInfo {
  /** 'native', 'wasm', 'tfjs-cpu', 'torch', ... */
  id: string;
  kind: 'stridenet' | 'peer';
  label: string;
  version: string;
  /** Threads the runner actually uses. */
  threads: number;
  /** Threads asked for with --threads; differs from `threads` where the runner cannot use them. */
  requestedThreads: number;
  /** Why `threads` differs from `requestedThreads`. */
  threadsNote?: string;
  device?: string;
  /**
   * The instruction set its kernels ran, read back from the runner where it can tell (PyTorch: oneDNN's
   * effective ISA, ATen's capability, the BLAS; native: its path), e.g. 'oneDNN avx2, ATen AVX2, ...'.
   */
  isa?: string;
  /**
   * CPUs every thread of the bench process and its child processes were pinned to while this thread
   * setting ran (e.g. '0'), when it was below the CPU count (affinity.ts); absent when not pinned.
   */
  cpus?: string;
  notes?: string[];
}

export interface Runner {
  info: RunnerInfo;
  /** true, or why this runner does not run this workload (reported as skipped). */
  supports(w: Workload): true | string;
  prepare(w: Workload, inputs: WorkloadInputs): Promise<Prepared>;
  /** Trains a fresh copy of the workload's model `steps` steps with dropout off (for the training check). */
  trainCheck?(w: Workload, inputs: WorkloadInputs, steps: number): Promise<TrainCheck>;
  /** The same check in float64 (same model code, weights and data widened), for runners that can (verify.ts gateTraining). */
  trainCheckFloat64?(w: Workload, inputs: WorkloadInputs, steps: number): Promise<TrainCheck>;
  /** Float64 steps with the ReLU decisions within `band` of zero flipped, group by group (ReluFlips), for runners that can (PyTorch). */
  trainFlips?(w: Workload, inputs: WorkloadInputs, band: number, groups: number): Promise<ReluFlips>;
  close(): Promise<void>;
}

export type RunnerFactory = (options: { threads: number }) => Promise<Runner | string>;
