import type { RunnerInfo } from './runners/types.js';
import type { Timing } from './measure.js';
import type { WorkloadSpec } from './workloads.js';
import type { PeerIsa } from './peer-isa.js';

export const SCHEMA_VERSION = 2;
export const SCHEMA_ID = 'stridenet-bench/v2';

export interface Fingerprint {
  cpuModel: string;
  logicalCores: number;
  /** MHz from /proc/cpuinfo, when readable. */
  clockMHz?: number;
  cpuFlags: string[];
  memoryBytes: number;
  os: string;
  node: string;
  v8: string;
  packages: Record<string, string>;
  threads: number;
  gpuAdapter?: string;
  hostname: string;
  /** 1/5/15-minute load averages when the run ended: other work on the machine skews figures. */
  loadAverage?: number[];
}

/** How a result was checked against the reference (absent: unchecked, `note` says why). */
export type Check =
  | { kind: 'output' }
  | { kind: 'spot-check'; samples: number }
  | {
      kind: 'train';
      steps: number;
      dropout: 'off';
      /** Loss of every step. */
      loss: { maxAbs: number; relative: number };
      /** Every trainable weight after step `weightsStep` (1 when more than one step ran; older files: `steps`). */
      weights: { maxAbs: number; relative: number; worst: string };
      weightsStep?: number;
      /**
       * 'flips': `weights` is the step-1 weights' excess over the float64 ReLU-flip allowance, relative to each tensor's
       * largest float64 update (verify.ts FlipOracle, computed by `flips`' band and groups); absent: relative to the
       * reference's largest value of each tensor.
       */
      weightsMeasure?: 'flips';
      flips?: { band: number; groups: number };
      /** Every trainable weight after the last step: reported, not gated (ReLU sign flips, see verify.ts). */
      weightsAfterLast?: { maxAbs: number; relative: number; worst: string };
      /**
       * Present when the float32 check missed the tolerance and the runner repeated it in float64 (verify.ts
       * gateTraining): the same comparison for that run, which then decides `correct`; the fields above and
       * `deviation` stay the float32 run's.
       */
      float64?: {
        loss: { maxAbs: number; relative: number };
        weights: { maxAbs: number; relative: number; worst: string };
        weightsAfterLast?: { maxAbs: number; relative: number; worst: string };
      };
    };

/** One run of a cell when the suite ran several times (--repeat). */
export interface RunSummary {
  medianMs: number;
  minMs: number;
  loadAverage: [number, number];
}

export interface ResultRecord {
  workload: string;
  runner: string;
  /** The thread setting (--threads) this result ran under; the runner's own count is in its info. */
  threads: number;
  status: 'ok' | 'skipped' | 'error';
  reason?: string;
  prepareMs?: number;
  timing?: Timing;
  /** GFLOP/s, GB/s or images/s from the median. */
  throughput?: { value: number; unit: 'GFLOP/s' | 'GB/s' | 'images/s' };
  /** Against the reference (untimed cpu-js) for the same inputs; for training, the worst of loss and weights. */
  deviation?: { maxAbs: number; relative: number } | null;
  /** relative deviation within the tolerance (undefined when not checked). */
  correct?: boolean;
  check?: Check;
  /** Why the deviation is not checked, when it is not. */
  note?: string;
  leakedTensors?: number;
  /** Copying one output into host memory, timed apart from the iterations (ms). */
  readbackMs?: number;
  /** The configuration the runner picked (PyTorch: wait policy, memory format, frozen graph). */
  variant?: string;
  /** Probe medians (ms) of each configuration it tried. */
  variants?: Record<string, number>;
  /** Every run of this cell (--repeat); the record's timing is the best one's. */
  runs?: RunSummary[];
}

export interface WorkloadRecord {
  id: string;
  suite: 'ops' | 'models';
  title: string;
  spec: WorkloadSpec;
  flops?: number;
  bytes?: number;
  images?: number;
  seed: number;
}

export interface BenchReport {
  schema: typeof SCHEMA_ID;
  version: typeof SCHEMA_VERSION;
  createdAt: string;
  command: string;
  mode: 'smoke' | 'full';
  settings: {
    minTime: number;
    reps: number;
    repeat: number;
    threads: number[];
    maxCellSeconds?: number;
    tolerance: number;
    baseline: string;
    seed: number;
    trainCheckSteps: number;
    interleaved: boolean;
    settled?: boolean;
    /** --peer-isa: 'avx2' held the peers to AVX2 where they have a switch (absent in older files: 'auto'). */
    peerIsa?: PeerIsa;
  };
  fingerprint: Fingerprint;
  /** One entry per runner and thread setting. */
  runners: (RunnerInfo & { available: boolean; reason?: string })[];
  workloads: WorkloadRecord[];
  results: ResultRecord[];
}

/** Checks a parsed JSON against the v2 schema; returns the problems (empty when valid). */
export function validateReport(value: unknown): string[] {
  const problems: string[] = [];
  const r = value as Partial<BenchReport>;
  const need = (cond: boolean, what: string) => {
    if (!cond) problems.push(what);
  };
  if (r === null || typeof r !== 'object') return ['report is not an object'];
  need(r.schema === SCHEMA_ID, `schema is ${JSON.stringify(r.schema)} but expected '${SCHEMA_ID}'`);
  need(r.version === SCHEMA_VERSION, `version is ${JSON.stringify(r.version)} but expected ${SCHEMA_VERSION}`);
  need(typeof r.createdAt === 'string' && !Number.isNaN(Date.parse(r.createdAt)), 'createdAt is not an ISO date');
  need(r.mode === 'smoke' || r.mode === 'full', 'mode is not smoke or full');
  need(typeof r.fingerprint?.cpuModel === 'string' && Number.isInteger(r.fingerprint?.logicalCores), 'fingerprint lacks cpuModel/logicalCores');
  need(typeof r.fingerprint?.node === 'string', 'fingerprint lacks node');
  need(Array.isArray(r.runners) && r.runners.every((x) => typeof x.id === 'string' && typeof x.available === 'boolean' && Number.isInteger(x.requestedThreads)), 'runners is not a list of {id, available, requestedThreads}');
  need(Array.isArray(r.workloads) && r.workloads.every((w) => typeof w.id === 'string' && typeof w.spec === 'object'), 'workloads is not a list of {id, spec}');
  if (!Array.isArray(r.results)) return [...problems, 'results is not a list'];
  const workloadIds = new Set((r.workloads ?? []).map((w) => w.id));
  const runnerIds = new Set((r.runners ?? []).map((x) => `${x.id}@${x.requestedThreads}`));
  r.results.forEach((x, i) => {
    const at = `results[${i}]`;
    need(workloadIds.has(x.workload), `${at}.workload '${x.workload}' is not a listed workload`);
    need(runnerIds.has(`${x.runner}@${x.threads}`), `${at}.runner '${x.runner}' at ${x.threads} thread(s) is not a listed runner`);
    need(x.correct === undefined || x.check !== undefined, `${at} is marked correct/incorrect without a check`);
    need(['ok', 'skipped', 'error'].includes(x.status), `${at}.status is ${JSON.stringify(x.status)}`);
    if (x.status === 'ok') {
      const t = x.timing;
      need(t !== undefined, `${at}.timing is missing for an ok result`);
      if (t) {
        need(t.reps >= 1 && t.samplesMs.length === t.reps, `${at}.timing.samplesMs does not hold reps values`);
        need(t.minMs <= t.medianMs && t.medianMs <= t.p90Ms + 1e-9 && t.p90Ms <= t.maxMs + 1e-9, `${at}.timing is not ordered min <= median <= p90 <= max`);
        need(t.samplesMs.every((v) => Number.isFinite(v) && v >= 0), `${at}.timing.samplesMs has a negative or non-finite value`);
        need(Number.isFinite(t.firstRunMs) && t.firstRunMs >= 0, `${at}.timing.firstRunMs is not a time`);
        need(Array.isArray(t.ci95Ms) && t.ci95Ms[0] <= t.medianMs + 1e-9 && t.medianMs <= t.ci95Ms[1] + 1e-9, `${at}.timing.ci95Ms does not hold the median`);
      }
    } else {
      need(typeof x.reason === 'string' && x.reason.length > 0, `${at}.reason is missing for a ${x.status} result`);
    }
  });
  return problems;
}
