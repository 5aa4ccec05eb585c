import { describe, expect, it } from 'vitest';
import { settle, type SettleClock } from './measure.js';

/** A fake process: `busyUntil` ms of wall time during which other threads burn `cores` cores. */
function fakeClock(busyUntil: number, cores = 1): SettleClock & { slept: number } {
  let now = 0;
  let cpu = 0;
  return {
    slept: 0,
    cpuMs: () => cpu,
    nowMs: () => now,
    async sleep(ms) {
      const busy = Math.max(0, Math.min(now + ms, busyUntil) - now);
      cpu += busy * cores;
      now += ms;
      this.slept += ms;
    },
  };
}

describe('settle', () => {
  it('returns after one quiet window when nothing spins', async () => {
    const c = fakeClock(0);
    expect(await settle({ windowMs: 10 }, c)).toBe(10);
  });

  it('waits while another thread spins, then stops at the first quiet window', async () => {
    const c = fakeClock(45);
    // Windows 0-10, 10-20, 20-30, 30-40 are busy; 40-50 holds 5 ms of spin (50% > 10%); 50-60 is quiet.
    expect(await settle({ windowMs: 10, busyFraction: 0.1 }, c)).toBe(60);
  });

  it('gives up at maxMs when the process never goes quiet', async () => {
    const c = fakeClock(Infinity, 0.5);
    expect(await settle({ windowMs: 10, maxMs: 100 }, c)).toBe(100);
  });
});
