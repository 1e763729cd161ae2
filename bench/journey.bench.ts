/**
 * `npm run bench:journey`: accepted → acknowledgement email at the SMTP server, for the whole
 * platform (the seven built apps on a fresh namespace, each lead also analysed and answered), at
 * steady rates, with its own SMTP server (the tests' SmtpStandIn, which notes when each message
 * arrived). Each round also says how long the form took to be answered (202) and how long after
 * it the lead's analysis results email arrived (the whole journey, form to answer).
 * The reference, in the same run and at the same rates: an email sent straight to the same SMTP
 * server with nodemailer (the floor: what delivery alone costs on this machine).
 * The reference's rounds come first; then a warm-up at the highest rate for warmupSeconds, not
 * counted, and the platform's rounds once its leads are acknowledged and answered, so no idle time
 * cools the platform in between and no round pays for the warm-up's analysis.
 * Why the warm-up: the first seconds
 * of a freshly started platform run cold code and grow connection pools, and measured cold, a 50/s
 * round showed that start (p50 2.0 s) more than the steady state (0.64–0.67 s in the next two rounds).
 * node dist/bench/journey.bench.js [rates=5,20,50] [secondsPerRate=20] [warmupSeconds=20]
 */
import { connect } from 'node:net';
import nodemailer from 'nodemailer';
import { preciseNow, SmtpStandIn } from '@statex/testing/smtp';
import { BenchPlatform, percentile, runBench } from './support/bench-platform';
import { cpuPerUnit, platformCpuSeconds } from './support/process-cpu';

const RATES = (process.argv[2] ?? '5,20,50').split(',').map(Number);
const SECONDS = Number(process.argv[3] ?? 20);
const WARMUP_SECONDS = Number(process.argv[4] ?? 20);
/** The warm-up runs at the highest rate: a platform warmed at 10/s was still as slow in its first 50/s round. */
const WARMUP_RATE = Math.max(...RATES);
/** How long after the last form an acknowledgement may still arrive and count. */
const DRAIN_MS = 120_000;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

/**
 * When the first message whose subject matches `kind` and names each id arrived whole at the SMTP
 * server ("We received your request <id>", "reference <id>").
 */
function arrivals(smtp: SmtpStandIn, kind: RegExp): Map<string, number> {
  const at = new Map<string, number>();
  for (const mail of smtp.messages) {
    const subject = mail.subject ?? '';
    const id = kind.test(subject) ? UUID.exec(subject)?.[0] : undefined;
    if (id && !at.has(id)) at.set(id, smtp.receivedAt.get(mail)!);
  }
  return at;
}

interface Round {
  rate: number;
  sent: number;
  accepted: number;
  latencies: number[];
  /** How long each form took to be answered (202): the contact form's latency under this load. */
  intake?: number[];
  /** Accepted → the analysis results email ("Our first look"), for the leads answered within DRAIN_MS. */
  answered?: number[];
}

/** `rate` per second for `seconds`, open loop (a slow answer never delays the next send). */
async function steady(rate: number, send: (i: number) => Promise<string | undefined>, acceptedAt: Map<string, number>, seconds = SECONDS): Promise<{ sent: number; ids: string[] }> {
  const total = rate * seconds;
  const started = Date.now();
  const pending: Array<Promise<void>> = [];
  const ids: string[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(
      send(i).then((id) => {
        if (!id) return;
        acceptedAt.set(id, preciseNow());
        ids.push(id);
      }),
    );
  }
  await Promise.all(pending);
  return { sent: total, ids };
}

/** Latency from `startedAt` to the matching message's arrival, for each id that arrived within DRAIN_MS. */
async function collect(smtp: SmtpStandIn, kind: RegExp, ids: string[], startedAt: Map<string, number>): Promise<Map<string, number>> {
  const deadline = Date.now() + DRAIN_MS;
  let arrived = arrivals(smtp, kind);
  while (Date.now() < deadline && !ids.every((id) => arrived.has(id))) {
    await new Promise((r) => setTimeout(r, 200));
    arrived = arrivals(smtp, kind);
  }
  return new Map(ids.flatMap((id) => (arrived.has(id) ? [[id, arrived.get(id)! - startedAt.get(id)!] as const] : [])));
}

/**
 * p50 of the latency for the forms sent in each 5 s window, in send order: a lag that grows
 * window by window is a queue (throughput short of the rate), a flat one is a fixed cost per lead.
 */
function byWindow(ids: string[], startedAt: Map<string, number>, latencies: Map<string, number>): string {
  const first = Math.min(...ids.map((id) => startedAt.get(id)!));
  const windows: number[][] = [];
  for (const id of ids) {
    const latency = latencies.get(id);
    if (latency === undefined) continue;
    const w = Math.floor((startedAt.get(id)! - first) / 5000);
    (windows[w] ??= []).push(latency);
  }
  return windows.map((w) => ms(percentile(w, 50))).join(' → ');
}

/** Milliseconds, to a tenth below 10 ms (both sides of the journey can be that fast). */
const ms = (value: number): string => value.toFixed(value < 10 ? 1 : 0);

const row = (label: string, r: Round) =>
  `  ${label.padEnd(10)} ${String(r.rate).padStart(4)}/s  sent ${String(r.sent).padStart(5)}  accepted ${String(r.accepted).padStart(5)}  acknowledged ${String(r.latencies.length).padStart(5)}   p50 ${ms(percentile(r.latencies, 50)).padStart(6)} ms  p95 ${ms(percentile(r.latencies, 95)).padStart(6)} ms  p99 ${ms(percentile(r.latencies, 99)).padStart(6)} ms` +
  (r.intake ? `   form answered p50 ${ms(percentile(r.intake, 50))} ms, p99 ${ms(percentile(r.intake, 99))} ms` : '') +
  (r.answered?.length ? `   results email p50 ${ms(percentile(r.answered, 50))} ms, p99 ${ms(percentile(r.answered, 99))} ms` : '');

async function main(): Promise<void> {
  const smtp = await new SmtpStandIn().start();
  const platform = new BenchPlatform(10_500, { SMTP_HOST: '127.0.0.1', SMTP_PORT: String(smtp.port), SUBMISSION_RATE_LIMIT_PER_MINUTE: '0' });
  // Without Nagle's algorithm, as notification's EmailChannel sends: with it, every message waits 40 ms
  // for the server's delayed ACK, and the floor would be that stall rather than what delivery costs.
  const mailer = nodemailer.createTransport({
    host: '127.0.0.1',
    port: smtp.port,
    secure: false,
    ignoreTLS: true,
    pool: true,
    maxConnections: 5,
    getSocket: (_options, callback) => callback(null, { connection: connect({ host: '127.0.0.1', port: smtp.port, noDelay: true }) }),
  });
  const lines: string[] = [];
  try {
    await platform.start();
    const submissions = `${platform.url('submission')}/api/submissions`;
    /** Whether the leads are analysed and answered in this run (BENCH_WITHOUT can leave the analysis out). */
    const analysed = platform.apps.some((a) => a.app === 'ai-orchestrator');
    const platformCpu = () => platformCpuSeconds([...platform.apps.map((a) => ({ label: a.app, pid: a.child.pid! })), { label: 'load generator and SMTP stand-in', pid: process.pid }]);
    /** One contact form; its id once accepted (202). */
    const sendForm = async (tag: string, i: number, intake?: number[]): Promise<string | undefined> => {
      const started = performance.now();
      const res = await fetch(submissions, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: `Bench Lead ${i}`, email: `lead-${tag}-${i}@example.com`, message: 'We need a new e-shop with card payments and shipping for 300 products.' }),
      }).catch(() => undefined);
      intake?.push(performance.now() - started);
      return res?.status === 202 ? ((await res.json()) as { id: string }).id : undefined;
    };
    // The references first: a platform round that followed a reference round of two minutes found
    // the platform idle that long, and ran its first 30-45 s as slowly as a cold start.
    const references = new Map<number, Round>();
    for (const rate of RATES) {
      // The same rate of emails, straight to the same SMTP server.
      const sentAt = new Map<string, number>();
      const reference = await steady(
        rate,
        async () => {
          const id = crypto.randomUUID();
          sentAt.set(id, preciseNow());
          await mailer.sendMail({ from: 'bench@statex.local', to: 'lead@example.com', subject: `reference ${id}`, text: `reference ${id}` });
          return id;
        },
        new Map(),
      );
      references.set(rate, { rate, sent: reference.sent, accepted: reference.ids.length, latencies: [...(await collect(smtp, /^reference /, reference.ids, sentAt)).values()] });
    }
    if (WARMUP_SECONDS > 0) {
      const warmAt = new Map<string, number>();
      const warm = await steady(WARMUP_RATE, (i) => sendForm('warmup', i), warmAt, WARMUP_SECONDS);
      const warmed = await collect(smtp, /^We received/, warm.ids, warmAt);
      // Its analysis too: a round that started while the warm-up's leads were still being analysed
      // would count their work, and its own results would wait behind them.
      const warmAnswered = analysed ? await collect(smtp, /^Our first look/, warm.ids, warmAt) : new Map<string, number>();
      console.log(`warm-up    ${WARMUP_RATE}/s for ${WARMUP_SECONDS} s, not counted: ${warmed.size} of ${warm.sent} acknowledged, p50 ${ms(percentile([...warmed.values()], 50))} ms${analysed ? `; ${warmAnswered.size} answered` : ''}`);
    }
    for (const rate of RATES) {
      // The project: contact forms; accepted (202) → acknowledgement at the SMTP server.
      const acceptedAt = new Map<string, number>();
      const intake: number[] = [];
      const cpuBefore = platformCpu();
      const project = await steady(rate, (i) => sendForm(String(rate), i, intake), acceptedAt);
      const acknowledged = await collect(smtp, /^We received/, project.ids, acceptedAt);
      // What the round's leads cost the machine, up to their last message (the analysis results).
      const answered = analysed ? await collect(smtp, /^Our first look/, project.ids, acceptedAt) : new Map<string, number>();
      const cpu = cpuPerUnit(cpuBefore, platformCpu(), project.ids.length);
      const projectRound: Round = { rate, sent: project.sent, accepted: project.ids.length, latencies: [...acknowledged.values()], intake, answered: [...answered.values()] };
      const referenceRound = references.get(rate)!;
      const referenceP50 = percentile(referenceRound.latencies, 50);
      const ratio = referenceP50 > 0 ? `${(percentile(projectRound.latencies, 50) / referenceP50).toFixed(1)}×` : 'not defined (the reference took no measurable time)';
      lines.push(row('platform', projectRound), row('reference', referenceRound), `  ${''.padEnd(10)} p50 ratio platform/reference ${ratio}; not acknowledged within ${DRAIN_MS / 1000} s: ${projectRound.accepted - projectRound.latencies.length}; p50 by 5 s of sending: ${byWindow(project.ids, acceptedAt, acknowledged)} ms`,
        `  ${''.padEnd(10)} CPU per lead, accepted to answered${answered.size < project.ids.length ? ` (only ${answered.size} of ${project.ids.length} answered within ${DRAIN_MS / 1000} s: the rest's analysis is left out)` : ''}: ${cpu.reduce((sum, part) => sum + part.ms, 0).toFixed(1)} ms in all: ${cpu.map((part) => `${part.label} ${part.ms.toFixed(1)}`).join(', ')}`,
      );
      console.log(lines.slice(-4).join('\n'));
    }
    console.log(
      [
        `journey  accepted → acknowledgement email at the SMTP server, whole platform, ${SECONDS} s per rate after a ${WARMUP_SECONDS} s warm-up at ${WARMUP_RATE}/s (goal at 50/s: p50 < 50 ms, p99 < 250 ms; the form answered with p99 < 250 ms)`,
        ...lines,
      ].join('\n'),
    );
  } finally {
    mailer.close();
    await platform.stop();
    await smtp.stop();
  }
}

runBench(main);
