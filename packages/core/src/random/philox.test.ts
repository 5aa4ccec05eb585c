import { describe, expect, it } from 'vitest';
import { philox4x32, Rng } from './philox.js';

describe('philox4x32-10', () => {
  it('matches the Random123 known-answer vectors', () => {
    expect([...philox4x32([0, 0, 0, 0], [0, 0])].map((v) => v.toString(16))).toEqual(['6627e8d5', 'e169c58d', 'bc57ac4c', '9b00dbd8']);
    const f = 0xffffffff;
    expect([...philox4x32([f, f, f, f], [f, f])].map((v) => v.toString(16))).toEqual(['408f276d', '41c83b0e', 'a20bc7c6', '6d5451fd']);
    expect([...philox4x32([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0])].map((v) => v.toString(16))).toEqual([
      'd16cfe09',
      '94fdcceb',
      '5001e420',
      '24126ea1',
    ]);
  });

  it('is reproducible from a seed and from a saved state', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    expect(a.uniform(10)).toEqual(b.uniform(10));
    const state = a.getState();
    const next = a.normal(7);
    expect(Rng.fromState(state).normal(7)).toEqual(next);
  });

  it('draws uniforms in range with a plausible mean', () => {
    const u = new Rng(1).uniform(100000);
    let s = 0;
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of u) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
      s += v;
    }
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThan(1);
    expect(Math.abs(s / u.length - 0.5)).toBeLessThan(0.01);
  });

  it('skip(n) returns the state uniform(n) starts from and leaves the state uniform(n) leaves, carries included', () => {
    const f = 0xffffffff;
    const starts = [
      { key: [7, 9], counter: [0, 0, 0, 0] },
      { key: [1, 2], counter: [f - 2, 5, 6, 7] },
      { key: [3, 4], counter: [f - 1, f, 11, 12] },
      { key: [5, 6], counter: [f, f, f, 13] },
    ] as const;
    for (const s of starts) {
      for (const n of [0, 1, 3, 4, 5, 13, 64]) {
        const start = { key: [...s.key], counter: [...s.counter] } as Parameters<typeof Rng.fromState>[0];
        const drawn = Rng.fromState(start);
        drawn.uniform(n);
        const skipped = Rng.fromState(start);
        expect(skipped.skip(n)).toEqual(start);
        expect(skipped.getState()).toEqual(drawn.getState());
      }
    }
    expect(() => new Rng(1).skip(-1)).toThrow(/skip/);
    expect(() => new Rng(1).skip(1.5)).toThrow(/skip/);
  });

  it('permutes', () => {
    const p = new Rng(3).permutation(50);
    expect([...p].sort((x, y) => x - y)).toEqual([...Array(50).keys()]);
  });
});
