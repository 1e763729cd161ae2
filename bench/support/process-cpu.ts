import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks a second in /proc/<pid>/stat (USER_HZ: 100 on Linux for every architecture Node runs on). */
const TICKS_PER_SECOND = 100;

/**
 * CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat (Linux). Two readings
 * around a run give what the process used of the machine, in cores once divided by the run's length.
 */
export function cpuSeconds(pid: number, withEndedChildren = false): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name, in parentheses, may hold spaces: the fields counted from after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime: fields 14 and 15 of stat(5), 12 and 13 after the name and the state; cutime and
  // cstime, what its children that ended used (once it has waited for them), the two after.
  const ticks = Number(fields[11]) + Number(fields[12]) + (withEndedChildren ? Number(fields[13]) + Number(fields[14]) : 0);
  return ticks / TICKS_PER_SECOND;
}

/** The shared servers a platform run also keeps busy, by their process name (comm). */
const SERVERS: Record<string, string> = { postgres: 'PostgreSQL', 'beam.smp': 'RabbitMQ', 'redis-server': 'Redis' };

/**
 * CPU seconds used so far by each of `processes` (label → pid) and, summed by server, by every
 * PostgreSQL, RabbitMQ and Redis process on the machine (a database connection's backend is a
 * process of its own). Two readings around a run give what each part of the platform cost it.
 */
export function platformCpuSeconds(processes: ReadonlyArray<{ label: string; pid: number }>): Map<string, number> {
  const used = new Map<string, number>();
  const add = (label: string, seconds: number) => used.set(label, (used.get(label) ?? 0) + seconds);
  for (const { label, pid } of processes) add(label, cpuSeconds(pid));
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const server = SERVERS[readFileSync(`/proc/${entry}/comm`, 'utf8').trim()];
      // With its ended children: PostgreSQL's postmaster keeps the time of every backend that ended.
      if (server) add(server, cpuSeconds(Number(entry), true));
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return used;
}

/** What each part used between two readings, largest first, in CPU milliseconds per `unit` (say, per lead). */
export function cpuPerUnit(before: Map<string, number>, after: Map<string, number>, units: number): Array<{ label: string; ms: number }> {
  // A server process that started between the readings (a new connection's backend) counts from zero;
  // one that ended counts in its parent's ended children (PostgreSQL's backends in the postmaster's).
  return [...after]
    .map(([label, seconds]) => ({ label, ms: (Math.max(0, seconds - (before.get(label) ?? 0)) * 1000) / units }))
    .sort((a, b) => b.ms - a.ms);
}
