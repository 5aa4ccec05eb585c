import cliProgress from 'cli-progress';

export interface BatchView {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  loss: number;
  accuracy: number;
  imagesPerSecond: number;
}

export interface EpochView {
  epoch: number;
  epochs: number;
  loss: number;
  accuracy: number;
  valLoss?: number;
  valAccuracy?: number;
  lr: number;
  seconds: number;
  imagesPerSecond: number;
}

/** How training progress reaches the user: a bar on a TTY, plain lines in a pipe, JSON lines with --json. */
export interface Reporter {
  epochStart(epoch: number, epochs: number, batches: number): void;
  batch(v: BatchView): void;
  epochEnd(v: EpochView): void;
  message(text: string, fields?: Record<string, unknown>): void;
  stop(): void;
}

const pct = (v: number | undefined): string => (v === undefined ? '-' : `${(v * 100).toFixed(2)}%`);

function epochLine(v: EpochView): string {
  const val = v.valLoss !== undefined ? ` | val loss ${v.valLoss.toFixed(4)} acc ${pct(v.valAccuracy)}` : '';
  return `epoch ${v.epoch}/${v.epochs}: loss ${v.loss.toFixed(4)} acc ${pct(v.accuracy)}${val} | ${v.imagesPerSecond.toFixed(0)} img/s, ${v.seconds.toFixed(1)} s, lr ${v.lr.toPrecision(3)}`;
}

export function createReporter(mode: 'tty' | 'plain' | 'json', out: NodeJS.WriteStream = process.stdout): Reporter {
  if (mode === 'json') {
    const emit = (o: Record<string, unknown>) => out.write(`${JSON.stringify(o)}\n`);
    let lastBatchEmit = 0;
    return {
      epochStart: (epoch, epochs, batches) => emit({ event: 'epoch-start', epoch, epochs, batches }),
      batch: (v) => {
        const now = Date.now();
        if (now - lastBatchEmit < 1000 && v.batch !== v.batches) return;
        lastBatchEmit = now;
        emit({ event: 'batch', ...v });
      },
      epochEnd: (v) => emit({ event: 'epoch', ...v }),
      message: (text, fields) => emit({ event: 'message', text, ...fields }),
      stop: () => undefined,
    };
  }
  if (mode === 'plain') {
    let nextMark = 0;
    return {
      epochStart: () => {
        nextMark = 0.25;
      },
      batch: (v) => {
        if (v.batch / v.batches >= nextMark && v.batch !== v.batches) {
          out.write(`  epoch ${v.epoch}/${v.epochs} ${Math.round((v.batch / v.batches) * 100)}%: loss ${v.loss.toFixed(4)} acc ${pct(v.accuracy)} ${v.imagesPerSecond.toFixed(0)} img/s\n`);
          nextMark += 0.25;
        }
      },
      epochEnd: (v) => out.write(`${epochLine(v)}\n`),
      message: (text) => out.write(`${text}\n`),
      stop: () => undefined,
    };
  }
  let bar: cliProgress.SingleBar | null = null;
  return {
    epochStart: (epoch, epochs, batches) => {
      bar = new cliProgress.SingleBar(
        {
          format: `epoch ${epoch}/${epochs} {bar} {percentage}% | ETA {eta_formatted} | loss {loss} acc {acc} | {ips} img/s`,
          hideCursor: true,
          clearOnComplete: true,
          stream: out,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(batches, 0, { loss: '-', acc: '-', ips: '-' });
    },
    batch: (v) => bar?.update(v.batch, { loss: v.loss.toFixed(4), acc: pct(v.accuracy), ips: v.imagesPerSecond.toFixed(0) }),
    epochEnd: (v) => {
      bar?.stop();
      bar = null;
      out.write(`${epochLine(v)}\n`);
    },
    message: (text) => {
      if (bar) out.write('\n');
      out.write(`${text}\n`);
    },
    stop: () => {
      bar?.stop();
      bar = null;
    },
  };
}
