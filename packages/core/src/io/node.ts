/**
 * Node-only file I/O (entry `@stridenet/core/node`): atomic writes and file-path wrappers around
 * the browser-safe weights and checkpoint codecs.
 */
import { open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
// The main entry by name, not by relative path: a bundle of this entry must share the one engine
// (backend, live tensors) with @stridenet/core instead of carrying a second copy of it.
import {
  FormatError,
  decodeCheckpoint,
  encodeCheckpoint,
  encodeWeights,
  loadStateDict,
  loadWeights,
  decodeModelFile,
  restoreCheckpoint,
  type Checkpoint,
  type LayerModel,
  type LoadWeightsOptions,
  type WeightsReport,
  type ModelFileOptions,
  type CheckpointContents,
  type Optimizer,
  type RestoredCheckpoint,
} from '@stridenet/core';
import type { Model } from '../models/types.js';

/**
 * Writes `bytes` to `path` so that readers see the old file or the new one, never a torn one, even
 * across a crash: temporary file in the same directory, fsync, rename over the target, fsync the
 * directory (so the rename itself is durable).
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', 0o644);
  try {
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    // A failed write on an open file (ENOSPC, EIO) names no path: name the file being written.
    const err = e as NodeJS.ErrnoException;
    if (err && typeof err === 'object' && typeof err.code === 'string' && err.path === undefined) err.path = path;
    throw e;
  }
  await fsyncDirectory(dir);
}

async function fsyncDirectory(dir: string): Promise<void> {
  let dh;
  try {
    dh = await open(dir, 'r');
    await dh.sync();
  } catch (e) {
    // Some platforms (Windows) and file systems cannot open or fsync a directory; the data itself
    // was already synced, so only the rename's durability is weaker there.
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EACCES') throw e;
  } finally {
    await dh?.close();
  }
}

async function readBytes(path: string): Promise<Uint8Array> {
  try {
    // A device or FIFO (/dev/zero, a pipe) has no end to read to: only regular files are read.
    const st = await stat(path);
    if (st.isDirectory()) throw new FormatError(path, 'is a directory, expected a .safetensors file');
    if (!st.isFile()) throw new FormatError(path, 'is not a regular file (a device, pipe or socket?), expected a .safetensors file');
    const b = await readFile(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new FormatError(path, 'no such file');
    if (code === 'EISDIR') throw new FormatError(path, 'is a directory, expected a .safetensors file');
    throw e;
  }
}

/** Saves the model's weights (safetensors, architecture in the metadata) atomically. */
export async function saveWeightsFile(path: string, model: Model, metadata?: Record<string, string>): Promise<void> {
  await writeFileAtomic(path, await encodeWeights(model, metadata));
}

/** Loads a safetensors weights file into `model`, all or nothing (see loadWeights). */
export async function loadWeightsFile(model: Model, path: string, options: LoadWeightsOptions = {}): Promise<Record<string, string>> {
  return loadWeights(model, await readBytes(path), path, options);
}

/** Loads a safetensors weights file (e.g. a PyTorch state_dict) into `model` and reports what it did (see loadStateDict). */
export async function loadStateDictFile(model: Model, path: string, options: LoadWeightsOptions = {}): Promise<WeightsReport> {
  return loadStateDict(model, await readBytes(path), path, options);
}

/** Writes a checkpoint (weights, optimizer, train state, run metadata) atomically. */
export async function saveCheckpoint(path: string, contents: CheckpointContents): Promise<void> {
  await writeFileAtomic(path, await encodeCheckpoint(contents));
}

/** Reads and validates a checkpoint file without loading it (e.g. to build the model from `architecture`). */
export async function readCheckpoint(path: string): Promise<Checkpoint> {
  return decodeCheckpoint(await readBytes(path), path);
}

/** Reads a checkpoint and restores it into `model` (and `optimizer`); all checks happen first. */
export async function loadCheckpoint(path: string, model: Model, optimizer?: Optimizer): Promise<RestoredCheckpoint> {
  return restoreCheckpoint(await readCheckpoint(path), model, optimizer);
}

/**
 * A model rebuilt from a stridenet weights or checkpoint file (architecture + weights), checked
 * against the size budget and the file's tensors before anything is allocated (see modelFromFile).
 */
export async function loadModelFile(path: string, options: ModelFileOptions = {}): Promise<LayerModel> {
  return decodeModelFile(await readBytes(path), path, options).model;
}

/** loadModelFile, with the file's metadata (a weights file's 'run' entry, a checkpoint's run state). */
export async function readModelFile(path: string, options: ModelFileOptions = {}): Promise<{ model: LayerModel; metadata: Record<string, string> }> {
  return decodeModelFile(await readBytes(path), path, options);
}
