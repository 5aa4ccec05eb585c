import { FormatError, nonFiniteTensors, type EpochEndInfo, type Model, type Optimizer, type Tensor, type TrainState } from '@stridenet/core';
import { loadCheckpoint, saveCheckpoint } from '@stridenet/core/node';
import type { RunDir } from './run-dir.js';

/** The best epoch so far by validation accuracy (training accuracy without validation data), 1-based. */
export interface BestRecord {
  metric: number;
  epoch: number;
}

/** Where `latest.safetensors` stands (as in TrainState: epochs done, batches done in the next, steps). */
export interface SavedPoint {
  epoch: number;
  batch: number;
  step: number;
}

function tensorsOf(model: Model, optimizer: Optimizer): { name: string; value: Tensor }[] {
  return [...model.parameters(), ...[...optimizer.slots()].map(([name, value]) => ({ name: `optimizer/${name}`, value }))];
}

/** Why this state must not be written as a checkpoint (a NaN or infinite loss, weight or optimizer slot), or null. */
export async function unsafeToSave(model: Model, optimizer: Optimizer, losses: Record<string, number | undefined> = {}): Promise<string | null> {
  for (const [name, v] of Object.entries(losses)) if (v !== undefined && !Number.isFinite(v)) return `the ${name} is ${v}`;
  const bad = await nonFiniteTensors(tensorsOf(model, optimizer));
  return bad.length ? `non-finite values in ${bad.map((b) => `${b.name} (${b.count})`).join(', ')}` : null;
}

function bestOf(run: Record<string, unknown>, state: TrainState | null): BestRecord | null {
  const b = run.best as Partial<BestRecord> | undefined;
  if (b && typeof b.metric === 'number' && Number.isFinite(b.metric) && Number.isSafeInteger(b.epoch)) return { metric: b.metric, epoch: b.epoch! };
  // A checkpoint from before the record was kept: the best of the epochs its history holds.
  let best: BestRecord | null = null;
  for (const h of state?.history ?? []) {
    const metric = h.valAccuracy ?? h.accuracy;
    if (Number.isFinite(metric) && (!best || metric > best.metric)) best = { metric, epoch: h.epoch + 1 };
  }
  return best;
}

/**
 * Loads `file` into the model and optimizer for a resume. A checkpoint holding NaN or infinite
 * values (written by an older version after a divergence) is refused, naming the file.
 */
export async function loadForResume(file: string, model: Model, optimizer: Optimizer): Promise<{ state: TrainState | null; best: BestRecord | null }> {
  const restored = await loadCheckpoint(file, model, optimizer);
  const bad = await nonFiniteTensors(tensorsOf(model, optimizer));
  if (bad.length) {
    const list = bad.map((b) => `${b.name} (${b.count} values)`).join(', ');
    throw new FormatError(file, `holds NaN or infinite values in ${list}; a diverged state is never resumed. Start a new run (with a lower --lr)`);
  }
  return { state: restored.state, best: bestOf(restored.run, restored.state) };
}

/**
 * The run's two checkpoints. Nothing non-finite is ever written; `best` is written before
 * `latest` and every checkpoint carries the best record, so a resumed run (even after a crash
 * between the two saves) replaces best.safetensors only with a better epoch.
 */
export class RunCheckpoints {
  constructor(
    private readonly dir: RunDir,
    private readonly model: Model,
    private readonly optimizer: Optimizer,
    private readonly runMeta: Record<string, unknown>,
    public best: BestRecord | null,
    public saved: SavedPoint | null,
  ) {}

  /**
   * Saves an epoch's end (best first when it improved); returns why it was refused, or null.
   * `beforeSave` runs once the state is known to be safe (the metrics line is appended there).
   */
  async saveEpoch(info: EpochEndInfo, beforeSave: () => void): Promise<string | null> {
    const problem = await unsafeToSave(this.model, this.optimizer, { 'training loss': info.loss, 'validation loss': info.valLoss });
    if (problem) return problem;
    beforeSave();
    const metric = info.valAccuracy ?? info.accuracy;
    if (metric > (this.best?.metric ?? -Infinity)) {
      this.best = { metric, epoch: info.epoch + 1 };
      await saveCheckpoint(this.dir.bestCheckpoint, {
        model: this.model,
        optimizer: this.optimizer,
        state: info.state,
        run: { ...this.runMeta, bestEpoch: this.best.epoch, best: this.best },
      });
    }
    await this.write(info.state);
    return null;
  }

  /** Saves a mid-epoch state (interrupt, --max-steps); returns why it was refused, or null. */
  async saveLatest(state: TrainState): Promise<string | null> {
    const problem = await unsafeToSave(this.model, this.optimizer);
    if (problem) return problem;
    await this.write(state);
    return null;
  }

  private async write(state: TrainState): Promise<void> {
    await saveCheckpoint(this.dir.latestCheckpoint, { model: this.model, optimizer: this.optimizer, state, run: { ...this.runMeta, best: this.best } });
    this.saved = { epoch: state.epoch, batch: state.batch, step: state.step };
  }

  /** Names the last good checkpoint for messages. */
  lastGood(): string {
    if (!this.saved) return 'no checkpoint was written before that';
    const { epoch, batch, step } = this.saved;
    const at = batch === 0 ? `end of epoch ${epoch}` : `epoch ${epoch + 1}, batch ${batch}`;
    return `last good checkpoint: ${this.dir.latestCheckpoint} (${at}, step ${step})`;
  }
}
