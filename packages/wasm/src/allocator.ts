import { BackendError } from '@stridenet/core';

/**
 * A size-class allocator over one wasm linear memory: blocks are rounded up to a size class
 * and recycled through one free list per class; fresh blocks come from a bump pointer, and the
 * memory grows (by at least half its size) when the bump pointer runs out. No coalescing: tensor
 * workloads reuse the same few sizes step after step, which is what the classes catch.
 */
const ALIGN = 64;
const PAGE = 65536;
/**
 * Bytes kept readable past the highest block: SIMD kernels may load a few floats beyond the last
 * cell they use (assembly/im2col.ts OVERREAD_FLOATS) and must not run off the end of memory.
 */
export const TAIL_GUARD = 256;

/** Rounds a byte count up to its class: multiples of 64 up to 4 KiB, then 8 steps per power of two. */
export function sizeClass(bytes: number): number {
  const b = Math.max(ALIGN, bytes);
  if (b <= 4096) return Math.ceil(b / ALIGN) * ALIGN;
  const e = Math.floor(Math.log2(b));
  const step = 2 ** (e - 3);
  return Math.ceil(b / step) * step;
}

export class Allocator {
  private top: number;
  private readonly free = new Map<number, number[]>();
  private readonly sizes = new Map<number, number>();
  /** Bytes handed out and not yet freed (class-rounded). */
  liveBytes = 0;
  liveBlocks = 0;
  pooledBytes = 0;
  pooledBlocks = 0;

  constructor(
    private readonly memory: WebAssembly.Memory,
    base: number,
    private readonly maxBytes: number,
  ) {
    // Kernels may also read a few floats before a block (assembly/im2col.ts), so none starts at 0.
    this.top = Math.ceil(Math.max(base, TAIL_GUARD) / ALIGN) * ALIGN;
  }

  alloc(bytes: number): number {
    const size = sizeClass(bytes);
    const list = this.free.get(size);
    let ptr: number;
    if (list !== undefined && list.length > 0) {
      ptr = list.pop()!;
      this.pooledBytes -= size;
      this.pooledBlocks -= 1;
    } else {
      ptr = this.top;
      const end = ptr + size;
      if (!(end + TAIL_GUARD <= this.maxBytes)) {
        throw new BackendError(
          `wasm backend: out of memory: cannot allocate ${bytes} bytes; the linear memory would need ${end + TAIL_GUARD} bytes but its maximum is ${this.maxBytes} (free tensors or use the native backend)`,
        );
      }
      const have = this.memory.buffer.byteLength;
      if (end + TAIL_GUARD > have) {
        const want = Math.min(Math.max(end + TAIL_GUARD, have + (have >> 1)), this.maxBytes);
        this.grow(Math.ceil((want - have) / PAGE), Math.ceil((end + TAIL_GUARD - have) / PAGE), bytes);
      }
      this.top = end;
    }
    this.sizes.set(ptr, size);
    this.liveBytes += size;
    this.liveBlocks += 1;
    return ptr;
  }

  /** Grows by `pages`, or by the `least` pages this block needs when the host refuses the larger step. */
  private grow(pages: number, least: number, bytes: number): void {
    try {
      this.memory.grow(pages);
    } catch {
      try {
        this.memory.grow(least);
      } catch (e) {
        throw new BackendError(
          `wasm backend: out of memory: the host refused to grow the linear memory from ${this.memory.buffer.byteLength} bytes by ${least * PAGE} for a block of ${bytes} bytes (${String(e)})`,
        );
      }
    }
  }

  release(ptr: number): void {
    const size = this.sizes.get(ptr);
    if (size === undefined) throw new Error(`wasm backend: free(${ptr}) of a block that is not allocated`);
    this.sizes.delete(ptr);
    this.liveBytes -= size;
    this.liveBlocks -= 1;
    this.pooledBytes += size;
    this.pooledBlocks += 1;
    let list = this.free.get(size);
    if (list === undefined) this.free.set(size, (list = []));
    list.push(ptr);
  }
}
