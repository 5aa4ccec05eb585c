/** Fields every case shares. Cases are plain data: the suite and the benchmark harness read the same lists. */
export interface CaseBase {
  /** What the case covers, used as the test title and the capability-matrix option. */
  readonly name: string;
  /** Normalised error bound against the float64 oracle (see README), overriding the family default. */
  readonly tolerance?: number;
}

/** Families of cases; `runConformance(..., { groups })` selects by these. */
export type CaseGroup =
  | 'conv2d'
  | 'pool2d'
  | 'matmul'
  | 'elementwise'
  | 'reduce'
  | 'softmax'
  | 'batch-norm'
  | 'layout'
  | 'optimizer'
  | 'bad-input'
  | 'golden'
  | 'autograd'
  | 'model'
  | 'empty';

export const CASE_GROUPS: readonly CaseGroup[] = Object.freeze([
  'conv2d',
  'pool2d',
  'matmul',
  'elementwise',
  'reduce',
  'softmax',
  'batch-norm',
  'layout',
  'optimizer',
  'bad-input',
  'golden',
  'autograd',
  'model',
  'empty',
]);

/** Default normalised-error bounds per family (float32 result vs float64 oracle). */
export const DEFAULT_TOLERANCE = Object.freeze({
  conv2d: 1e-4,
  pool2d: 1e-5,
  matmul: 1e-4,
  elementwise: 1e-5,
  reduce: 1e-5,
  softmax: 1e-5,
  'batch-norm': 1e-4,
  layout: 0,
  optimizer: 1e-5,
  golden: 1e-4,
});
