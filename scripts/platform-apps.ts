import { setPriority } from 'node:os';

/**
 * The seven apps, their default ports, the variable that overrides each port, and the CPU
 * priority (nice) each runs at when they share one machine (npm start, the benchmarks): the
 * analysis and the log store are work that can wait, so on a saturated machine intake and the
 * acknowledgement keep their CPU and analysis catches up later (docs/benchmarks.md).
 */
export const PLATFORM_APPS = [
  { app: 'submission', portVar: 'SUBMISSION_PORT', port: 8002, nice: 0 },
  { app: 'ai-orchestrator', portVar: 'AI_ORCHESTRATOR_PORT', port: 8003, nice: 10 },
  { app: 'ai-worker', portVar: 'AI_WORKER_PORT', port: 8004, nice: 10 },
  { app: 'notification', portVar: 'NOTIFICATION_PORT', port: 8005, nice: 0 },
  { app: 'user-portal', portVar: 'USER_PORTAL_PORT', port: 8006, nice: 0 },
  { app: 'logging', portVar: 'LOGGING_PORT', port: 8007, nice: 10 },
  { app: 'content', portVar: 'CONTENT_PORT', port: 8009, nice: 0 },
] as const;

/**
 * What every app process starts with unless the environment already says otherwise (npm start and
 * the benchmarks here; the image sets the same in deploy/Dockerfile).
 *
 * MALLOC_MMAP_THRESHOLD_: glibc serves an allocation of 128 KB or more with its own mapping and
 * unmaps it on free. By default it raises that threshold to the largest block freed so far, so
 * after user-portal's first argon2 hash (19 MiB) every later one came from the heap and stayed
 * there: 20–25 MB more idle RSS in user-portal, a few MB in the others (docs/benchmarks.md).
 */
export const APP_PROCESS_DEFAULTS: Readonly<Record<string, string>> = { MALLOC_MMAP_THRESHOLD_: '131072' };

/** Lowers a started app's CPU priority as PLATFORM_APPS says; never fails the start over it. */
export function applyPriority(app: string, pid: number | undefined): void {
  const nice = PLATFORM_APPS.find((a) => a.app === app)?.nice ?? 0;
  if (nice === 0 || pid === undefined) return;
  try {
    setPriority(pid, nice);
  } catch {
    // Not permitted here: the app runs at normal priority.
  }
}
