import { ArgumentError, ShapeError } from '../errors.js';
import type { Labels } from './losses.js';

function checkScores(op: string, scores: ArrayLike<number>, labels: Labels, numClasses: number): number {
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new ArgumentError(op, 'numClasses', numClasses, 'a positive integer');
  if (scores.length !== labels.length * numClasses) {
    throw new ShapeError(op, 'scores length', scores.length, `labels.length * numClasses = ${labels.length} * ${numClasses}`);
  }
  return labels.length;
}

/** Index of the largest score of row `i` (the first one on ties, like PyTorch's argmax). */
export function argmaxRow(scores: ArrayLike<number>, i: number, numClasses: number): number {
  let best = 0;
  let bestValue = -Infinity;
  for (let c = 0; c < numClasses; c++) {
    const v = scores[i * numClasses + c]!;
    if (v > bestValue || (Number.isNaN(v) && !Number.isNaN(bestValue))) {
      best = c;
      bestValue = v;
    }
  }
  return best;
}

/** Number of rows whose argmax equals the label. `scores` are logits or probabilities [N * C]. */
export function countCorrect(scores: ArrayLike<number>, labels: Labels, numClasses: number): number {
  const n = checkScores('accuracy', scores, labels, numClasses);
  let correct = 0;
  for (let i = 0; i < n; i++) if (argmaxRow(scores, i, numClasses) === labels[i]) correct++;
  return correct;
}

/** Fraction of rows whose argmax equals the label (0 for an empty batch). */
export function accuracy(scores: ArrayLike<number>, labels: Labels, numClasses: number): number {
  return labels.length === 0 ? 0 : countCorrect(scores, labels, numClasses) / labels.length;
}

/** Fraction of rows whose label is among the k highest scores (ties broken toward lower class index). */
export function topKAccuracy(scores: ArrayLike<number>, labels: Labels, numClasses: number, k: number): number {
  const n = checkScores('topKAccuracy', scores, labels, numClasses);
  if (!Number.isInteger(k) || k < 1 || k > numClasses) throw new ArgumentError('topKAccuracy', 'k', k, `an integer in [1, ${numClasses}]`);
  let hits = 0;
  for (let i = 0; i < n; i++) {
    const y = labels[i]!;
    const sy = scores[i * numClasses + y]!;
    let above = 0;
    for (let c = 0; c < numClasses; c++) {
      const v = scores[i * numClasses + c]!;
      if (v > sy || (v === sy && c < y)) above++;
    }
    if (above < k) hits++;
  }
  return n === 0 ? 0 : hits / n;
}

/** The k highest scores of each row, best first: indices and values [N * k]. */
export function topK(scores: ArrayLike<number>, numClasses: number, k: number): { indices: Int32Array; values: Float32Array; k: number } {
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new ArgumentError('topK', 'numClasses', numClasses, 'a positive integer');
  if (scores.length % numClasses !== 0) throw new ShapeError('topK', 'scores length', scores.length, `a multiple of numClasses ${numClasses}`);
  if (!Number.isInteger(k) || k < 1 || k > numClasses) throw new ArgumentError('topK', 'k', k, `an integer in [1, ${numClasses}]`);
  const n = scores.length / numClasses;
  const indices = new Int32Array(n * k);
  const values = new Float32Array(n * k);
  const order = Array.from({ length: numClasses }, (_, c) => c);
  for (let i = 0; i < n; i++) {
    const row = (c: number) => scores[i * numClasses + c]!;
    order.sort((a, b) => row(b) - row(a) || a - b);
    for (let j = 0; j < k; j++) {
      indices[i * k + j] = order[j]!;
      values[i * k + j] = row(order[j]!);
    }
    for (let c = 0; c < numClasses; c++) order[c] = c;
  }
  return { indices, values, k };
}

/** Counts [true class][predicted class], accumulated batch by batch. */
export class ConfusionMatrix {
  readonly numClasses: number;
  /** Row-major [true][predicted]. */
  readonly counts: Int32Array;

  constructor(numClasses: number) {
    if (!Number.isInteger(numClasses) || numClasses < 1) throw new ArgumentError('ConfusionMatrix', 'numClasses', numClasses, 'a positive integer');
    this.numClasses = numClasses;
    this.counts = new Int32Array(numClasses * numClasses);
  }

  /** Adds a batch of scores [N * C] (argmax taken) against labels. */
  update(scores: ArrayLike<number>, labels: Labels): void {
    const n = checkScores('ConfusionMatrix.update', scores, labels, this.numClasses);
    for (let i = 0; i < n; i++) {
      const y = labels[i]!;
      if (!Number.isInteger(y) || y < 0 || y >= this.numClasses) {
        throw new ArgumentError('ConfusionMatrix.update', `labels[${i}]`, y, `an integer in [0, ${this.numClasses - 1}]`);
      }
      this.counts[y * this.numClasses + argmaxRow(scores, i, this.numClasses)] += 1;
    }
  }

  get total(): number {
    return this.counts.reduce((a, b) => a + b, 0);
  }

  get accuracy(): number {
    let diag = 0;
    for (let c = 0; c < this.numClasses; c++) diag += this.counts[c * this.numClasses + c]!;
    const t = this.total;
    return t === 0 ? 0 : diag / t;
  }

  /** Recall of each class (correct / examples of that class); NaN for a class never seen. */
  recall(): number[] {
    const k = this.numClasses;
    return Array.from({ length: k }, (_, c) => {
      let row = 0;
      for (let p = 0; p < k; p++) row += this.counts[c * k + p]!;
      return row === 0 ? NaN : this.counts[c * k + c]! / row;
    });
  }

  /** Precision of each class (correct / predictions of that class); NaN for a class never predicted. */
  precision(): number[] {
    const k = this.numClasses;
    return Array.from({ length: k }, (_, c) => {
      let col = 0;
      for (let t = 0; t < k; t++) col += this.counts[t * k + c]!;
      return col === 0 ? NaN : this.counts[c * k + c]! / col;
    });
  }

  toArray(): number[][] {
    const k = this.numClasses;
    return Array.from({ length: k }, (_, r) => Array.from(this.counts.subarray(r * k, (r + 1) * k)));
  }

  /** Aligned text table: rows are true classes, columns predictions. */
  toString(classNames?: readonly string[]): string {
    const k = this.numClasses;
    const names = Array.from({ length: k }, (_, c) => classNames?.[c] ?? String(c));
    const width = Math.max(...names.map((s) => s.length), ...Array.from(this.counts, (v) => String(v).length), 4);
    const pad = (s: string) => s.padStart(width);
    const lines = [`${pad('')} | ${names.map(pad).join(' ')}`];
    for (let r = 0; r < k; r++) lines.push(`${pad(names[r]!)} | ${Array.from(this.counts.subarray(r * k, (r + 1) * k), (v) => pad(String(v))).join(' ')}`);
    return lines.join('\n');
  }
}
