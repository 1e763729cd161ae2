import { constants, PerformanceObserver } from 'node:perf_hooks';
import { COLLECTIONS_PER_ROUND, releaseStartupMemory } from './startup-memory';

describe('releaseStartupMemory', () => {
  it('runs a full garbage collection at once, then a round of them at the time it is given, without --expose-gc on the command line', async () => {
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
    const majors: number[] = [];
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        if (((entry as unknown as { detail?: { kind?: number } }).detail)?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors.push(entry.startTime);
      }
    });
    observer.observe({ entryTypes: ['gc'] });
    try {
      const asked = performance.now();
      releaseStartupMemory([50]);
      // One at once (it marks the end of the start), then a round from the time asked, 100 ms apart
      // (each timer starts after the collection before it, so a busy machine stretches the round).
      const roundOf = () => majors.filter((at) => at >= asked + 40);
      const deadline = Date.now() + 10_000;
      while (roundOf().length < COLLECTIONS_PER_ROUND && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      const ours = majors.filter((at) => at >= asked);
      expect(ours[0]).toBeLessThan(asked + 40);
      expect(roundOf().length).toBeGreaterThanOrEqual(COLLECTIONS_PER_ROUND);
      // Spaced: seven collections take at least the six gaps between them.
      const round = roundOf();
      expect(round[round.length - 1] - round[0]).toBeGreaterThanOrEqual((COLLECTIONS_PER_ROUND - 1) * 100 - 5);
    } finally {
      observer.disconnect();
    }
  });
});
