import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { LayerModel } from '@stridenet/core';
import { loadModelFile, readCheckpoint } from '@stridenet/core/node';
import type { ChannelStats } from '@stridenet/datasets';
import { UsageError } from './errors.js';
import { RunDir } from './run-dir.js';

export interface TrainedModel {
  model: LayerModel;
  file: string;
  stats?: ChannelStats;
  dataset?: string;
  classNames?: readonly string[];
}

/**
 * The weights file a user points at: a run directory (its final weights, else its best or latest
 * checkpoint) or a .safetensors weights/checkpoint file.
 */
export function weightsPathOf(target: string): { file: string; run?: RunDir } {
  if (!existsSync(target)) throw new UsageError(`'${target}' does not exist: give a run directory or a .safetensors file`);
  if (statSync(target).isDirectory()) {
    const run = RunDir.open(target);
    for (const f of [run.weights, run.bestCheckpoint, run.latestCheckpoint]) if (existsSync(f)) return { file: f, run };
    throw new UsageError(`${run.path} holds no weights yet (no weights.safetensors or checkpoints/*.safetensors)`);
  }
  return { file: target };
}

/** Rebuilds a trained model and the normalisation it was trained with. */
export async function loadTrained(target: string): Promise<TrainedModel> {
  const { file, run } = weightsPathOf(target);
  const model = await loadModelFile(file);
  let stats: ChannelStats | undefined;
  let dataset: string | undefined;
  if (run) {
    const cfg = run.readJSON<{ normalization?: ChannelStats; dataset?: string }>('config.json');
    stats = cfg.normalization;
    dataset = cfg.dataset;
  } else {
    try {
      const ck = await readCheckpoint(file);
      const meta = ck.run as { normalization?: ChannelStats; dataset?: string };
      stats = meta.normalization;
      dataset = meta.dataset;
    } catch {
      // A plain weights file: the run metadata (if any) sits next to it.
      const cfgFile = join(file, '..', 'config.json');
      if (existsSync(cfgFile)) {
        const cfg = RunDir.open(join(file, '..')).readJSON<{ normalization?: ChannelStats; dataset?: string }>('config.json');
        stats = cfg.normalization;
        dataset = cfg.dataset;
      }
    }
  }
  return { model, file, stats, dataset };
}
