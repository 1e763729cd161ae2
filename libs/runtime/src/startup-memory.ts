import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * When to collect, after ready. V8 gives back the young generation it grew while starting only in
 * a collection that finds the allocation of the last five seconds or so low (under about 1 MB/s),
 * and it measures that between collections: a collection whose previous one fell in the start
 * sees the start's allocation and keeps everything, however quiet the app has been since (the
 * rounds' own collections, 100 ms apart, do not help). So one collection at ready marks the
 * start's end, and the first round comes over five seconds later, when the measure holds only the
 * idle app. A later round runs only if the one before gave back less than GIVEN_BACK_BYTES (the
 * app was busy then), and each round marks the time the next one measures from.
 */
export const STARTUP_COLLECTIONS_MS = [5_500, 11_000, 24_000] as const;

/** What a round must give back of the heap V8 holds to count as done. */
const GIVEN_BACK_BYTES = 8 * 1024 * 1024;

/**
 * Full collections in a round, 100 ms apart. Besides the young generation, they age out the
 * start's code: V8 drops the bytecode of a function only once it has gone unused through several
 * full collections (`--bytecode-old-age`, 5 in Node 20), and most of what starting an app compiles
 * (module bodies, Nest's scanning and wiring) never runs again. A function that does run again is
 * compiled again on its call. About 6 MB an app (docs/benchmarks.md, footprint).
 */
export const COLLECTIONS_PER_ROUND = 7;

/**
 * Full garbage collections once the app is up and settled. Starting a Nest app allocates far
 * more than it keeps (compiling modules, scanning controllers, decorator metadata), and V8 keeps
 * the young generation it grew for that until its memory reducer runs, a minute or more later.
 * Collecting once the start is over hands that back at once: about 30 MB of each app's idle RSS.
 * Under load the young generation grows again as it needs, so, unlike a smaller semi-space
 * (`--max-semi-space-size`, which cut intake by a third), it costs no throughput; a round pauses
 * the idle app a few tens of milliseconds at a time.
 *
 * `gc` is exposed for this without a command-line flag, so every way of starting an app (npm
 * start, the images, Kubernetes) gets it: V8 installs `gc` in a context created after
 * `--expose-gc` is set.
 */
export function releaseStartupMemory(times: readonly number[] = STARTUP_COLLECTIONS_MS): void {
  setFlagsFromString('--expose-gc');
  const collect = runInNewContext('gc') as () => void;
  const round = (index: number) => {
    if (index >= times.length) return;
    const wait = times[index] - (index === 0 ? 0 : times[index - 1]);
    setTimeout(() => {
      const before = process.memoryUsage().heapTotal;
      let left = COLLECTIONS_PER_ROUND;
      const next = () => {
        collect();
        left -= 1;
        if (left > 0) setTimeout(next, 100).unref();
        else if (before - process.memoryUsage().heapTotal < GIVEN_BACK_BYTES) round(index + 1);
      };
      next();
    }, wait).unref();
  };
  collect();
  round(0);
}
