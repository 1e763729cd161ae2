import { constants, PerformanceObserver } from 'node:perf_hooks';
import { releaseStartupMemory } from './startup-memory';

describe('releaseStartupMemory', () => {
  it('runs a full garbage collection at the time it is given, without --expose-gc on the command line', async () => {
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
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(majors.filter((at) => at >= asked + 40).length).toBeGreaterThanOrEqual(1);
    } finally {
      observer.disconnect();
    }
  });
});
