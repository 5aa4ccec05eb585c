import { ArgumentError } from '../errors.js';

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** High 32 bits of the 64-bit product of two uint32. */
function mulhi(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const t = a0 * b0;
  const m1 = a1 * b0 + (t >>> 16);
  const m2 = a0 * b1 + (m1 & 0xffff);
  return (a1 * b1 + (m1 >>> 16) + (m2 >>> 16)) >>> 0;
}

/** One Philox4x32-10 block: 4 uint32 from a 128-bit counter and 64-bit key (Salmon et al. 2011). */
export function philox4x32(counter: ArrayLike<number>, key: ArrayLike<number>, out: Uint32Array = new Uint32Array(4)): Uint32Array {
  let c0 = counter[0]! >>> 0;
  let c1 = counter[1]! >>> 0;
  let c2 = counter[2]! >>> 0;
  let c3 = counter[3]! >>> 0;
  let k0 = key[0]! >>> 0;
  let k1 = key[1]! >>> 0;
  for (let r = 0; r < 10; r++) {
    const hi0 = mulhi(M0, c0);
    const lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi(M1, c2);
    const lo1 = Math.imul(M1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
  return out;
}

export interface RngState {
  key: [number, number];
  counter: [number, number, number, number];
}

/**
 * Counter-based generator: the same seed gives the same stream on every backend, and the state is
 * just (key, counter), so it is saved in checkpoints and restored exactly.
 */
export class Rng {
  private key: [number, number];
  private counter: [number, number, number, number];
  private readonly block = new Uint32Array(4);

  constructor(seed = 0) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new ArgumentError('Rng', 'seed', seed, 'a non-negative safe integer');
    this.key = [seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0];
    this.counter = [0, 0, 0, 0];
  }

  static fromState(state: RngState): Rng {
    const r = new Rng(0);
    r.setState(state);
    return r;
  }

  getState(): RngState {
    return { key: [...this.key], counter: [...this.counter] };
  }

  setState(state: RngState): void {
    const ok = (a: unknown, n: number) => Array.isArray(a) && a.length === n && a.every((v) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff);
    if (!state || !ok(state.key, 2) || !ok(state.counter, 4)) {
      throw new ArgumentError('Rng', 'state', state, '{ key: [u32, u32], counter: [u32, u32, u32, u32] }');
    }
    this.key = [state.key[0], state.key[1]];
    this.counter = [state.counter[0], state.counter[1], state.counter[2], state.counter[3]];
  }

  /** A generator with an independent stream (different key), for e.g. per-worker or per-purpose use. */
  fork(stream: number): Rng {
    const r = new Rng(0);
    r.key = [(this.key[0] ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0, (this.key[1] + stream + 1) >>> 0];
    return r;
  }

  private nextBlock(): Uint32Array {
    philox4x32(this.counter, this.key, this.block);
    const c = this.counter;
    c[0] = (c[0] + 1) >>> 0;
    if (c[0] === 0) {
      c[1] = (c[1] + 1) >>> 0;
      if (c[1] === 0) c[2] = (c[2] + 1) >>> 0;
    }
    return this.block;
  }

  /**
   * Moves past the ceil(n / 4) blocks that uniform(n) would consume and returns the state it would start
   * from: a backend draws the same values from it (Backend.uniform).
   */
  skip(n: number): RngState {
    if (!Number.isSafeInteger(n) || n < 0) throw new ArgumentError('Rng.skip', 'n', n, 'a non-negative safe integer');
    const state = this.getState();
    // nextBlock's carries, ceil(n / 4) at once: word 0 into word 1, word 1 into word 2 (word 2 wraps alone).
    const c = this.counter;
    const w0 = c[0] + Math.ceil(n / 4);
    const w1 = c[1] + Math.floor(w0 / 2 ** 32);
    c[0] = w0 % 2 ** 32;
    c[1] = w1 % 2 ** 32;
    c[2] = (c[2] + Math.floor(w1 / 2 ** 32)) % 2 ** 32;
    return state;
  }

  /** n raw uint32 values (ceil(n / 4) blocks consumed). */
  uint32(n: number): Uint32Array {
    const out = new Uint32Array(n);
    for (let i = 0; i < n; i += 4) {
      const b = this.nextBlock();
      for (let j = 0; j < 4 && i + j < n; j++) out[i + j] = b[j]!;
    }
    return out;
  }

  /** Uniform floats in [low, high), 24-bit resolution. */
  uniform(n: number, low = 0, high = 1): Float32Array {
    const u = this.uint32(n);
    const out = new Float32Array(n);
    const scale = (high - low) / 16777216;
    for (let i = 0; i < n; i++) out[i] = low + (u[i]! >>> 8) * scale;
    return out;
  }

  /** Normal floats (Box-Muller on pairs). */
  normal(n: number, mean = 0, std = 1): Float32Array {
    const u = this.uint32(n + (n & 1));
    const out = new Float32Array(n);
    for (let i = 0; i < n; i += 2) {
      const u1 = ((u[i]! >>> 8) + 1) / 16777217; // (0, 1]
      const u2 = (u[i + 1]! >>> 8) / 16777216;
      const r = Math.sqrt(-2 * Math.log(u1));
      out[i] = mean + std * r * Math.cos(2 * Math.PI * u2);
      if (i + 1 < n) out[i + 1] = mean + std * r * Math.sin(2 * Math.PI * u2);
    }
    return out;
  }

  /** Normal values redrawn until within two standard deviations (PyTorch trunc_normal_ style). */
  truncatedNormal(n: number, mean = 0, std = 1): Float32Array {
    const out = new Float32Array(n);
    let filled = 0;
    while (filled < n) {
      const batch = this.normal(Math.max(8, (n - filled) * 2));
      for (let i = 0; i < batch.length && filled < n; i++) if (Math.abs(batch[i]!) <= 2) out[filled++] = mean + std * batch[i]!;
    }
    return out;
  }

  /** A random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    const u = this.uint32(n);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor((u[i]! / 4294967296) * (i + 1));
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
    return p;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor((this.uint32(1)[0]! / 4294967296) * n);
  }
}
