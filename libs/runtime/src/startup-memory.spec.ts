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
      await new Promise((resolve) => setTimeout(resolve, 50 + (COLLECTIONS_PER_ROUND + 2) * 100));
      // One at once (it marks the end of the start), then a round from the time asked, 100 ms apart.
      const ours = majors.filter((at) => at >= asked);
      expect(ours[0]).toBeLessThan(asked + 40);
      expect(ours.filter((at) => at >= asked + 40).length).toBeGreaterThanOrEqual(COLLECTIONS_PER_ROUND);
    } finally {
      observer.disconnect();
    }
  });
});
