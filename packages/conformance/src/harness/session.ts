/**
 * Runs kernels straight on a backend for one case, tracking every handle it creates, so the case
 * can free them all and check the backend is back where it started (no leaked buffers).
 */
import { isMultiOutput, type Backend, type BackendMemory, type KernelAttrs, type KernelInputs, type KernelName, type KernelOutput } from '@stridenet/core';

export type HostValues = ArrayLike<number>;

/** What counts as live memory: buffers, or for pooling backends the bytes not held in the pool. */
export function liveMemory(m: BackendMemory): { buffers: number; bytes: number } {
  return m.pooledBytes === undefined ? { buffers: m.buffers, bytes: m.bytes } : { buffers: -1, bytes: m.bytes - m.pooledBytes };
}

export class LeakError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LeakError';
  }
}

export class KernelSession<H = unknown> {
  private readonly handles = new Set<H>();
  private readonly start: { buffers: number; bytes: number };

  constructor(readonly backend: Backend<H>) {
    this.start = liveMemory(backend.memory());
  }

  upload(values: ArrayLike<number>): H {
    const h = this.backend.upload(values instanceof Float32Array ? values : Float32Array.from(values));
    this.handles.add(h);
    return h;
  }

  run<K extends KernelName>(kernel: K, inputs: KernelInputs<H, K>, attrs: KernelAttrs<K>): KernelOutput<H, K> {
    const fn = this.backend.kernels[kernel] as unknown as (i: KernelInputs<H, K>, a: KernelAttrs<K>) => KernelOutput<H, K>;
    const out = fn(inputs, attrs);
    if (isMultiOutput(kernel)) for (const h of out as unknown as H[]) this.handles.add(h);
    else if (out !== undefined) this.handles.add(out as H);
    return out;
  }

  /**
   * Uploads the given host values, runs one kernel, reads every output back and frees the
   * handles it made. Array-valued inputs (Concat's xs) upload each entry.
   */
  async compute<K extends KernelName>(
    kernel: K,
    values: Record<string, HostValues | readonly HostValues[] | undefined>,
    attrs: KernelAttrs<K>,
  ): Promise<Float32Array[]> {
    const made: H[] = [];
    const inputs: Record<string, H | H[]> = {};
    for (const [name, v] of Object.entries(values)) {
      if (v === undefined) continue;
      if (Array.isArray(v) && typeof v[0] !== 'number') {
        inputs[name] = (v as readonly HostValues[]).map((e) => {
          const h = this.upload(e);
          made.push(h);
          return h;
        });
      } else {
        const h = this.upload(v as HostValues);
        made.push(h);
        inputs[name] = h;
      }
    }
    const out = this.run(kernel, inputs as unknown as KernelInputs<H, K>, attrs);
    const outs = (isMultiOutput(kernel) ? out : [out]) as H[];
    const result: Float32Array[] = [];
    for (const h of outs) result.push(await this.read(h));
    for (const h of [...made, ...outs]) this.free(h);
    return result;
  }

  async read(h: H): Promise<Float32Array> {
    return this.backend.read(h);
  }

  free(h: H): void {
    if (this.handles.delete(h)) this.backend.free(h);
  }

  /** Frees every tracked handle and throws a LeakError if the backend still holds more than at the start. */
  async close(): Promise<void> {
    for (const h of this.handles) this.backend.free(h);
    this.handles.clear();
    await this.backend.sync?.();
    const now = liveMemory(this.backend.memory());
    if (now.buffers !== this.start.buffers || now.bytes !== this.start.bytes) {
      throw new LeakError(
        `backend '${this.backend.name}' holds ${now.buffers} buffers / ${now.bytes} bytes after the case freed its handles ` +
          `but held ${this.start.buffers} / ${this.start.bytes} before`,
      );
    }
  }

  /** Frees every tracked handle without checking (after a failure). */
  abandon(): void {
    for (const h of this.handles) {
      try {
        this.backend.free(h);
      } catch {
        // The case already failed; a second error here would hide the first.
      }
    }
    this.handles.clear();
  }
}
