import { constants, PerformanceObserver } from 'node:perf_hooks';
import { AGEING_COLLECTIONS, releaseStartupMemory } from './startup-memory';

describe('releaseStartupMemory', () => {
  it('runs a full garbage collection at the time it is given, then ages out the code of the start, without --expose-gc on the command line', async () => {
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
      await new Promise((resolve) => setTimeout(resolve, 50 + (AGEING_COLLECTIONS + 3) * 100));
      // The first at the time asked (nothing before it), then the ageing ones, 100 ms apart.
      const ours = majors.filter((at) => at >= asked);
      expect(ours[0]).toBeGreaterThanOrEqual(asked + 40);
      expect(ours.length).toBeGreaterThanOrEqual(1 + AGEING_COLLECTIONS);
    } finally {
      observer.disconnect();
    }
  });
});
