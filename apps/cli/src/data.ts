import { existsSync } from 'node:fs';
import type { ImageDataset } from '@stridenet/core';
import {
  channelStats,
  datasetToFloat32,
  DATASETS,
  loadDataset,
  type ChannelStats,
  type Dataset,
} from '@stridenet/datasets';
import { unknownName } from './errors.js';

export interface LoadedData {
  train: ImageDataset;
  test?: ImageDataset;
  /** The raw test split (bytes), for the report's image grid. */
  rawTest?: Dataset;
  classNames: readonly string[];
  shape: readonly [number, number, number];
  numClasses: number;
  stats: ChannelStats;
  source: string;
}

export const DATASET_NAMES = DATASETS.map((d) => d.name);

/** Checks a --dataset value: a registry name or an existing path. */
export function checkDatasetName(name: string): void {
  if (DATASET_NAMES.includes(name) || existsSync(name)) return;
  throw unknownName('dataset', name, DATASET_NAMES, 'Or give a directory of IDX files, CIFAR binaries or class subfolders of images.');
}

export function toImageDataset(ds: Dataset, stats: ChannelStats): ImageDataset {
  return { images: datasetToFloat32(ds, stats), labels: ds.labels, count: ds.count, shape: [...ds.shape], numClasses: ds.numClasses };
}

/**
 * Loads a dataset by name or path and normalises it per channel with statistics of the training
 * split (or the given ones, when evaluating a trained model).
 */
export async function loadData(name: string, options: { dir?: string; stats?: ChannelStats } = {}): Promise<LoadedData> {
  checkDatasetName(name);
  const splits = await loadDataset(name, options.dir ? { dir: options.dir } : {});
  const stats = options.stats ?? channelStats(splits.train);
  const { train, test } = splits;
  return {
    train: toImageDataset(train, stats),
    test: test ? toImageDataset(test, stats) : undefined,
    rawTest: test,
    classNames: train.classNames ?? Array.from({ length: train.numClasses }, (_, i) => String(i)),
    shape: train.shape,
    numClasses: train.numClasses,
    stats,
    source: train.source,
  };
}
