/**
 * `npm run bench:footprint`: cold start of the seven built apps to all ready, and each one's idle
 * resident memory once settled, beside a plain Nest app on Fastify (bench/reference/plain-nest.ts)
 * started and measured the same way in the same run. Real PostgreSQL, RabbitMQ and Redis; a fresh
 * namespace, removed afterwards. node dist/bench/footprint.bench.js [settleSeconds=30]
 *
 * Idle means after each app's own startup collections (releaseStartupMemory, @statex/runtime:
 * rounds at 5.5, 11 and 24 s after its ready): 30 s after the last app is ready by default. The
 * total 10 s after ready is printed as well, for the start as a user sees it.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { BenchPlatform, runBench, waitReady } from './support/bench-platform';

const SETTLE_S = Number(process.argv[2] ?? 30);
const EARLY_S = 10;
const REFERENCE_PORT = 18490;

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
/**
 * Proportional set size: RSS with each shared page divided among the processes sharing it. The
 * seven apps map the same node binary and libraries, which RSS counts seven times; PSS adds up to
 * what the machine actually gives them.
 */
const pssMb = (pid: number) => Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))![1]) / 1024;

async function main(): Promise<void> {
  const platform = new BenchPlatform(10_400);
  try {
    const reference = platform.adopt(spawn(process.execPath, [resolve(__dirname, 'reference', 'plain-nest.js'), String(REFERENCE_PORT)], { stdio: 'ignore' }));
    const refStarted = Date.now();
    await waitReady(REFERENCE_PORT, reference, 'the plain Nest app');
    const refStartMs = Date.now() - refStarted;

    // As npm start does: every app at once, then wait for all.
    await platform.start();
    let early = '';
    if (SETTLE_S > EARLY_S) {
      await new Promise((r) => setTimeout(r, EARLY_S * 1000));
      const pids = platform.apps.map((a) => a.child.pid!);
      early = `  all seven        ${EARLY_S} s after ready: RSS ${pids.reduce((s, pid) => s + rssMb(pid), 0).toFixed(0)} MB in all, PSS ${pids.reduce((s, pid) => s + pssMb(pid), 0).toFixed(0)} MB (the startup collections not all done)`;
    }
    await new Promise((r) => setTimeout(r, (SETTLE_S - (early ? EARLY_S : 0)) * 1000));
    const rows = platform.apps.map((a) => ({ app: a.app, readyMs: a.readyMs, rss: rssMb(a.child.pid!), pss: pssMb(a.child.pid!) }));
    const referenceRss = rssMb(reference.pid!);
    const total = rows.reduce((s, r) => s + r.rss, 0);
    const totalPss = rows.reduce((s, r) => s + r.pss, 0);
    console.log(
      [
        `footprint  seven apps started at once (as npm start), idle RSS after ${SETTLE_S} s`,
        ...rows.map((r) => `  ${r.app.padEnd(16)} ready after ${String(r.readyMs).padStart(6)} ms   RSS ${r.rss.toFixed(0).padStart(4)} MB   (${(r.rss / referenceRss).toFixed(2)}× the plain app)   PSS ${r.pss.toFixed(0).padStart(4)} MB`),
        `  all seven        ready after ${String(platform.coldStartMs).padStart(6)} ms   RSS ${total.toFixed(0).padStart(4)} MB in all (goal: under 700 MB, all ready under 20 s)   PSS ${totalPss.toFixed(0)} MB in all`,
        ...(early ? [early] : []),
        `  plain Nest app   ready after ${String(refStartMs).padStart(6)} ms   RSS ${referenceRss.toFixed(0).padStart(4)} MB (the reference, same run)`,
      ].join('\n'),
    );
  } finally {
    await platform.stop();
  }
}

runBench(main);
