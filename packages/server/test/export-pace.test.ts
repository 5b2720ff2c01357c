// Whole exports are paced (routes/data/stream.ts): each step's read keeps its place for
// EXPORT_PAUSE of its own time after it, so exports together use at most 1 / (1 + EXPORT_PAUSE)
// of the places they are given. Timed with real timers; bounds are one-sided (a loaded machine
// only makes things later), so the test cannot pass by luck when the pause is missing.
import { describe, expect, it } from 'vitest';
import { EXPORT_PAUSE, ExportReads } from '../src/routes/data/stream.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('export pacing', () => {
  it('pauses half a step after each step, as documented', () => {
    expect(EXPORT_PAUSE).toBe(0.5);
  });

  it('a step answers after its read and a pause of EXPORT_PAUSE × the read’s time', async () => {
    const reads = new ExportReads(1);
    const t0 = performance.now();
    expect(await reads.run(() => sleep(200).then(() => 'text'))).toBe('text');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(200 * (1 + EXPORT_PAUSE) - 5);
  });

  it('the next export’s step waits for the previous step’s pause: exports together keep the duty cycle', async () => {
    const reads = new ExportReads(1);
    const started: number[] = [];
    const step = () =>
      reads.run(async () => {
        started.push(performance.now());
        await sleep(100);
      });
    // Two exports' steps queued at once for the one place (DuckDB's).
    await Promise.all([step(), step(), step()]);
    for (let i = 1; i < started.length; i++) {
      expect(started[i]! - started[i - 1]!).toBeGreaterThanOrEqual(100 * (1 + EXPORT_PAUSE) - 5);
    }
  });
});
