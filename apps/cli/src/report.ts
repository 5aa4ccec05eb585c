import { PNG } from 'pngjs';
import type { TopLevelSpec } from 'vega-lite';

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  valLoss?: number;
  valAccuracy?: number;
  learningRate?: number;
  seconds: number;
  imagesPerSecond: number;
}

export interface Misclassified {
  /** C*H*W values in [0, 1]. */
  pixels: ArrayLike<number>;
  shape: readonly [number, number, number];
  label: number;
  predicted: number;
  probability: number;
}

export interface ReportData {
  title: string;
  config: Record<string, unknown>;
  epochs: readonly EpochRecord[];
  test?: { loss: number; accuracy: number; confusion: readonly (readonly number[])[]; count: number };
  classNames: readonly string[];
  misclassified: readonly Misclassified[];
  backend: string;
  finishedAt: string;
}

// vega and vega-lite take about a third of a second to import: only the report that draws charts loads them.
let charting: Promise<[typeof import('vega'), typeof import('vega-lite')]> | undefined;

async function svg(spec: TopLevelSpec): Promise<string> {
  const [vega, { compile }] = await (charting ??= Promise.all([import('vega'), import('vega-lite')]));
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const out = await view.toSVG();
  view.finalize();
  return out;
}

function curve(epochs: readonly EpochRecord[], field: 'Loss' | 'Accuracy'): TopLevelSpec {
  const values = epochs.flatMap((e) => {
    const rows = [{ epoch: e.epoch, split: 'train', value: field === 'Loss' ? e.trainLoss : e.trainAccuracy }];
    const v = field === 'Loss' ? e.valLoss : e.valAccuracy;
    if (v !== undefined) rows.push({ epoch: e.epoch, split: 'validation', value: v });
    return rows;
  });
  return {
    width: 360,
    height: 220,
    title: field,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1, format: 'd' } },
      y: { field: 'value', type: 'quantitative', title: field.toLowerCase(), scale: { zero: false } },
      color: { field: 'split', type: 'nominal' },
    },
  };
}

function confusionSpec(confusion: readonly (readonly number[])[], names: readonly string[]): TopLevelSpec {
  const values = confusion.flatMap((row, i) => row.map((count, j) => ({ actual: names[i] ?? String(i), predicted: names[j] ?? String(j), count })));
  const order = names.length ? [...names] : confusion.map((_, i) => String(i));
  return {
    width: 28 * order.length,
    height: 28 * order.length,
    title: 'Confusion matrix (test)',
    data: { values },
    encoding: {
      x: { field: 'predicted', type: 'nominal', sort: order },
      y: { field: 'actual', type: 'nominal', sort: order },
    },
    layer: [
      { mark: 'rect', encoding: { color: { field: 'count', type: 'quantitative', scale: { scheme: 'blues' } } } },
      {
        mark: { type: 'text', fontSize: 9 },
        encoding: {
          text: { field: 'count', type: 'quantitative' },
          color: { condition: { test: `datum.count > ${Math.max(1, ...values.map((v) => v.count)) / 2}`, value: 'white' }, value: 'black' },
        },
      },
    ],
  };
}

/** Encodes a C*H*W image in [0, 1] (1 or 3 channels) as a PNG data URI, scaled up for visibility. */
export function imageDataUri(pixels: ArrayLike<number>, shape: readonly [number, number, number], scale = 3): string {
  const [c, h, w] = shape;
  const png = new PNG({ width: w * scale, height: h * scale });
  for (let y = 0; y < h * scale; y++) {
    for (let x = 0; x < w * scale; x++) {
      const src = Math.floor(y / scale) * w + Math.floor(x / scale);
      const o = (y * w * scale + x) * 4;
      for (let k = 0; k < 3; k++) {
        const v = pixels[(c === 3 ? k : 0) * h * w + src]!;
        png.data[o + k] = Math.max(0, Math.min(255, Math.round(v * 255)));
      }
      png.data[o + 3] = 255;
    }
  }
  return `data:image/png;base64,${PNG.sync.write(png).toString('base64')}`;
}

const escape = (s: string): string => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** A self-contained HTML page: curves, confusion matrix, misclassified examples, run configuration. */
export async function renderReport(data: ReportData): Promise<string> {
  const name = (i: number): string => data.classNames[i] ?? String(i);
  const charts = data.epochs.length ? [await svg(curve(data.epochs, 'Loss')), await svg(curve(data.epochs, 'Accuracy'))] : [];
  const confusion = data.test ? await svg(confusionSpec(data.test.confusion, data.classNames)) : '';
  const last = data.epochs[data.epochs.length - 1];
  const grid = data.misclassified
    .map(
      (m) =>
        `<figure><img alt="${escape(`${name(m.label)} predicted as ${name(m.predicted)}`)}" src="${imageDataUri(m.pixels, m.shape)}"><figcaption><b>${escape(name(m.predicted))}</b> ${(m.probability * 100).toFixed(0)}%<br>true: ${escape(name(m.label))}</figcaption></figure>`,
    )
    .join('\n');
  const rows = data.epochs
    .map(
      (e) =>
        `<tr><td>${e.epoch}</td><td>${e.trainLoss.toFixed(4)}</td><td>${(e.trainAccuracy * 100).toFixed(2)}%</td><td>${e.valLoss?.toFixed(4) ?? '-'}</td><td>${e.valAccuracy !== undefined ? `${(e.valAccuracy * 100).toFixed(2)}%` : '-'}</td><td>${e.imagesPerSecond.toFixed(0)}</td><td>${e.seconds.toFixed(1)}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(data.title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 8px}
.summary{display:flex;gap:28px;margin:12px 0} .summary div{background:#f3f6fa;padding:10px 16px;border-radius:6px}
.summary b{display:block;font-size:22px}
.charts{display:flex;flex-wrap:wrap;gap:16px}
table{border-collapse:collapse;font-size:13px} td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}
.grid{display:flex;flex-wrap:wrap;gap:10px} figure{margin:0;text-align:center;font-size:11px;width:96px}
figure img{image-rendering:pixelated;width:84px;height:84px;border:1px solid #ccc}
pre{background:#f6f6f6;padding:10px;font-size:12px;overflow:auto}
</style></head><body>
<h1>${escape(data.title)}</h1>
<div>backend <b>${escape(data.backend)}</b> · finished ${escape(data.finishedAt)}</div>
<div class="summary">
${data.test ? `<div>test accuracy<b>${(data.test.accuracy * 100).toFixed(2)}%</b></div><div>test loss<b>${data.test.loss.toFixed(4)}</b></div>` : ''}
${last ? `<div>epochs<b>${last.epoch}</b></div><div>images/s<b>${last.imagesPerSecond.toFixed(0)}</b></div>` : ''}
</div>
<h2>Training curves</h2><div class="charts">${charts.join('\n')}</div>
<h2>Per epoch</h2>
<table><tr><th>epoch</th><th>train loss</th><th>train acc</th><th>val loss</th><th>val acc</th><th>images/s</th><th>seconds</th></tr>
${rows}</table>
${confusion ? `<h2>Confusion matrix</h2>${confusion}` : ''}
<h2>Misclassified test images (${data.misclassified.length} shown${data.test ? ` of ${Math.round(data.test.count * (1 - data.test.accuracy))}` : ''})</h2>
<div class="grid">${grid || '<p>none</p>'}</div>
<h2>Configuration</h2><pre>${escape(JSON.stringify(data.config, null, 2))}</pre>
</body></html>
`;
}
