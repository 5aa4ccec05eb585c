/**
 * Buffer accounting for every cpu-js backend in this JavaScript realm. The kernel table is a plain
 * module-level object (so it can be imported and type-checked on its own), hence the accounting is
 * module-level too: every buffer a kernel or `upload` hands out is counted until `free`.
 * A WeakSet (not a Set) remembers ownership so that buffers never freed by a caller can still be
 * garbage collected; it also turns a double free into an error instead of a wrong count.
 */
const owned = new WeakSet<Float32Array>();
let liveBuffers = 0;
let liveBytes = 0;

export function alloc(size: number): Float32Array {
  return track(new Float32Array(size));
}

export function track(buf: Float32Array): Float32Array {
  owned.add(buf);
  liveBuffers += 1;
  liveBytes += buf.byteLength;
  return buf;
}

export function release(buf: Float32Array): void {
  if (!(buf instanceof Float32Array)) {
    throw new TypeError(`cpu-js free: handle is ${Object.prototype.toString.call(buf)} but expected a Float32Array from this backend`);
  }
  if (!owned.has(buf)) {
    throw new Error(`cpu-js free: handle of ${buf.length} floats is not a live cpu-js buffer (already freed, or from elsewhere)`);
  }
  owned.delete(buf);
  liveBuffers -= 1;
  liveBytes -= buf.byteLength;
}

export function liveStats(): { buffers: number; bytes: number } {
  return { buffers: liveBuffers, bytes: liveBytes };
}

/** Scratch space reused across kernel calls (im2col columns, GEMM panels); never handed out. */
const scratch = new Map<string, Float32Array>();
export function scratchF32(key: string, size: number): Float32Array {
  let s = scratch.get(key);
  if (!s || s.length < size) {
    s = new Float32Array(Math.max(size, s ? s.length * 2 : 0));
    scratch.set(key, s);
  }
  return s;
}
