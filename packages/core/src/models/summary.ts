export interface SummaryRow {
  name: string;
  type: string;
  outputShape: readonly number[];
  params: number;
  inputs: string[];
}

const group = (n: number): string => n.toLocaleString('en-US');

/** Keras-style table; shapes show the batch axis as None. */
export function formatSummary(
  model: string,
  inputShape: readonly number[],
  rows: readonly SummaryRow[],
  counts: { total: number; trainable: number; nonTrainable: number },
  connections: boolean,
): string {
  const shape = (s: readonly number[]) => `(None, ${s.join(', ')})`;
  const header = ['Layer (type)', 'Output Shape', 'Param #', ...(connections ? ['Connected to'] : [])];
  const body = [
    ['input (Input)', shape(inputShape), '0', ...(connections ? [''] : [])],
    ...rows.map((r) => [`${r.name} (${r.type})`, shape(r.outputShape), group(r.params), ...(connections ? [r.inputs.join(', ')] : [])]),
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)) + 2);
  const line = (cells: string[]) => cells.map((c, i) => (i === 2 ? c.padStart(widths[i]! - 2).padEnd(widths[i]!) : c.padEnd(widths[i]!))).join('').trimEnd();
  const total = widths.reduce((a, b) => a + b, 0);
  return [
    `Model: "${model}"`,
    '_'.repeat(total),
    line(header),
    '='.repeat(total),
    ...body.map(line),
    '='.repeat(total),
    `Total params: ${group(counts.total)}`,
    `Trainable params: ${group(counts.trainable)}`,
    `Non-trainable params: ${group(counts.nonTrainable)}`,
    '_'.repeat(total),
  ].join('\n');
}
