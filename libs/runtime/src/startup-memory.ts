import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * When to collect, after ready: V8 gives back the young generation it grew while starting only
 * in a collection that finds the last five seconds' allocation rate low (under about 1 MB/s),
 * and right after ready the app still measures its start. Collecting at ready handed nothing
 * back; a few seconds later it did. Each later time is tried only if the earlier one gave nothing.
 */
export const STARTUP_COLLECTIONS_MS = [6_000, 12_000, 24_000] as const;

/** What a collection must give back of the heap V8 holds to count as done. */
const GIVEN_BACK_BYTES = 8 * 1024 * 1024;

/**
 * Collections after the one that gave memory back, 100 ms apart. V8 drops the bytecode of a
 * function only once it has gone unused through several full collections (`--bytecode-old-age`,
 * 5 in Node 20), and most of what starting an app compiles (module bodies, Nest's scanning and
 * wiring, the OpenAPI document's builders) never runs again: these age it out. About 6 MB an app
 * (docs/benchmarks.md, footprint); a function that does run again is compiled again on its call.
 */
export const AGEING_COLLECTIONS = 6;

/**
 * Full garbage collections once the app is up and settled, until one hands memory back. Starting a
 * Nest app allocates far more than it keeps (compiling modules, scanning controllers for the
 * OpenAPI document, decorator metadata), and V8 keeps the young generation it grew for that
 * until its memory reducer runs, a minute or more later. Collecting once the start is over hands
 * that back at once: about 30 MB of each app's idle RSS (docs/benchmarks.md, footprint). Under
 * load the young generation grows again as it needs, so, unlike a smaller semi-space
 * (`--max-semi-space-size`, which cut intake by a third), it costs no throughput; each
 * collection pauses the idle app some tens of milliseconds. Then a few more age out the code
 * only the start ran (`AGEING_COLLECTIONS`).
 *
 * `gc` is exposed for this without a command-line flag, so every way of starting an app (npm
 * start, the images, Kubernetes) gets it: V8 installs `gc` in a context created after
 * `--expose-gc` is set.
 */
export function releaseStartupMemory(times: readonly number[] = STARTUP_COLLECTIONS_MS): void {
  setFlagsFromString('--expose-gc');
  const collect = runInNewContext('gc') as () => void;
  const age = (left: number) => {
    if (left === 0) return;
    setTimeout(() => {
      collect();
      age(left - 1);
    }, 100).unref();
  };
  const attempt = (index: number) => {
    if (index >= times.length) return age(AGEING_COLLECTIONS);
    const wait = times[index] - (index === 0 ? 0 : times[index - 1]);
    setTimeout(() => {
      const before = process.memoryUsage().heapTotal;
      collect();
      if (before - process.memoryUsage().heapTotal < GIVEN_BACK_BYTES) attempt(index + 1);
      else age(AGEING_COLLECTIONS);
    }, wait).unref();
  };
  attempt(0);
}
