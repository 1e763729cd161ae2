import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVENT_CONSUMERS } from '@statex/contracts';
import { ParkedMessages, topologyFor } from '@statex/messaging';
import { AuthStandIn, BrokerProbe, removeTestNamespace, queryDatabase, ServiceProcess, sleep, SmtpStandIn, uniqueNamespace, waitFor } from '@statex/testing';
import { APPS, AppName, platformProcesses } from '../platform';
import { restoreAll } from './infrastructure';

export const ALL_APPS: AppName[] = APPS.map((a) => a.app);

/** What happened to one lead, counted at its effects: the SMTP server, the workflows table, its status. */
export interface LedgerEntry {
  id: string;
  acknowledgements: number;
  workflows: number;
  results: number;
  status: string;
}

export interface Ledger {
  scenario: string;
  submitted: number;
  acknowledged: number;
  analysed: number;
  answered: number;
  lost: string[];
  duplicated: Array<{ id: string; acknowledgements: number; workflows: number; results: number }>;
  parked: Record<string, number>;
  refusedWhileDown: Record<string, number>;
}

const complete = (e: LedgerEntry) => e.acknowledgements >= 1 && e.workflows >= 1 && e.results >= 1 && e.status === 'answered';

/**
 * The whole platform as seven built processes on one test namespace, with a real SMTP server, for
 * the fault suite: it submits leads, and counts per lead every effect the journey should have once.
 */
export class FaultPlatform {
  readonly namespace = uniqueNamespace('flt');
  readonly smtp = new SmtpStandIn();
  readonly auth = new AuthStandIn();
  apps!: Record<AppName, ServiceProcess>;
  /** Answers other than 202 while a dependency was down, by status (a lead refused is not a lead lost). */
  readonly refused: Record<string, number> = {};

  constructor(private readonly overrides: Record<string, string | number> = {}) {}

  async start(names: AppName[] = ALL_APPS): Promise<void> {
    await this.smtp.start();
    await this.auth.start();
    this.apps = platformProcesses(this.namespace, ALL_APPS, {
      ...this.auth.env,
      SMTP_PORT: this.smtp.port,
      STORAGE_LOCAL_DIR: mkdtempSync(join(tmpdir(), 'statex-faults-')),
      // Short clocks, so recovery fits the test: a crashed worker's jobs go to the next one in 3 s.
      NOTIFICATION_STALLED_AFTER_MS: 3000,
      NOTIFICATION_BACKOFF_MS: 300,
      AI_STEP_BACKOFF_MS: 300,
      ...this.overrides,
    });
    await this.startApps(names);
  }

  async startApps(names: AppName[]): Promise<void> {
    for (const name of names) this.apps[name].start();
    for (const name of names) await this.apps[name].ready(90_000);
  }

  /** Stops every app, brings back every dependency, and removes the namespace (always: call it in afterAll). */
  async stop(): Promise<void> {
    await Promise.all(Object.values(this.apps ?? {}).map((app) => app.stop()));
    await restoreAll();
    await this.smtp.stop();
    await this.auth.stop();
    await removeTestNamespace(this.namespace);
    const probe = await new BrokerProbe(this.namespace).start();
    await probe.cleanup(ALL_APPS, [200, 400, 800]);
    await probe.stop();
  }

  /** One contact form; its id when accepted (202), else the status is counted as refused. */
  async submit(label: string): Promise<string | undefined> {
    const res = await fetch(`${this.apps.submission.url}/api/submissions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: `Lead ${label}`, email: `lead-${label}@example.com`, message: `We need a new e-shop with card payments (${label}).` }),
      signal: AbortSignal.timeout(10_000),
    }).catch(() => undefined);
    if (res?.status === 202) return ((await res.json()) as { id: string }).id;
    const key = String(res?.status ?? 'no answer');
    this.refused[key] = (this.refused[key] ?? 0) + 1;
    return undefined;
  }

  /**
   * `count` forms at `perSecond`, calling `during(i)` before form i (where a test injects its fault);
   * the ids of those accepted.
   */
  async burst(prefix: string, count: number, perSecond: number, during: (i: number) => Promise<void> | void = () => undefined): Promise<string[]> {
    const ids: string[] = [];
    const pending: Array<Promise<void>> = [];
    for (let i = 0; i < count; i++) {
      await during(i);
      pending.push(this.submit(`${prefix}-${i}`).then((id) => void (id && ids.push(id))));
      await sleep(1000 / perSecond);
    }
    await Promise.all(pending);
    return ids;
  }

  async entries(ids: string[]): Promise<LedgerEntry[]> {
    const workflows = await queryDatabase<{ id: string; n: number }>(
      `${this.namespace}_ai_orchestrator`,
      'SELECT submission_id::text AS id, count(*)::int AS n FROM workflows WHERE submission_id::text = ANY($1) GROUP BY submission_id',
      [ids],
    ).catch(() => []);
    const statuses = await queryDatabase<{ id: string; status: string }>(`${this.namespace}_submission`, 'SELECT id::text AS id, status FROM submissions WHERE id::text = ANY($1)', [ids]).catch(() => []);
    return ids.map((id) => {
      const mails = this.smtp.find(id);
      return {
        id,
        acknowledgements: mails.filter((m) => m.subject?.startsWith('We received')).length,
        results: mails.filter((m) => m.subject?.startsWith('Our first look')).length,
        workflows: workflows.find((w) => w.id === id)?.n ?? 0,
        status: statuses.find((s) => s.id === id)?.status ?? 'missing',
      };
    });
  }

  /** Until the service's outbox has published everything (its events are on the broker). */
  async waitForOutboxEmpty(app: AppName): Promise<void> {
    const database = `${this.namespace}_${app.replace(/-/g, '_')}`;
    await waitFor(
      async () => (await queryDatabase<{ n: number }>(database, 'SELECT count(*)::int AS n FROM outbox_messages WHERE published_at IS NULL'))[0].n === 0,
      { timeoutMs: 30_000, what: `${app}'s outbox to be published` },
    );
  }

  /** Messages still waiting in a service queue, parked in a `.dlq`, or kept as unrouted. */
  async queueDepths(): Promise<{ waiting: number; parked: Record<string, number> }> {
    const probe = await new BrokerProbe(this.namespace).start();
    try {
      let waiting = 0;
      const parked: Record<string, number> = {};
      for (const service of Object.keys(EVENT_CONSUMERS)) {
        const topology = topologyFor(this.namespace, service);
        waiting += await probe.messageCount(topology.queue);
        const dlq = await probe.messageCount(topology.deadLetterQueue);
        if (dlq > 0) parked[topology.deadLetterQueue] = dlq;
      }
      const unrouted = await probe.messageCount(topologyFor(this.namespace, 'any').unroutedQueue);
      if (unrouted > 0) parked.unrouted = unrouted;
      return { waiting, parked };
    } finally {
      await probe.stop();
    }
  }

  /**
   * Waits until every lead has its acknowledgement, workflow, results message and final status, and
   * then until nothing is in flight (every queue empty twice in a row), so a late duplicate would be
   * counted; then counts. Prints the ledger.
   */
  async ledger(scenario: string, ids: string[], timeoutMs = 180_000): Promise<Ledger> {
    await waitFor(async () => (await this.entries(ids)).every(complete), { timeoutMs, intervalMs: 1000, what: `every lead of "${scenario}" through its journey` }).catch(() => undefined);
    let empty = 0;
    await waitFor(
      async () => {
        empty = (await this.queueDepths()).waiting === 0 ? empty + 1 : 0;
        return empty >= 2;
      },
      { timeoutMs: 60_000, intervalMs: 1000, what: 'every queue drained' },
    ).catch(() => undefined);
    const entries = await this.entries(ids);
    const { parked } = await this.queueDepths();
    const reasons: string[] = [];
    if (Object.keys(parked).length > 0) {
      const dlq = new ParkedMessages(process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672', this.namespace);
      for (const service of [...Object.keys(EVENT_CONSUMERS), 'unrouted']) {
        for (const m of (await dlq.list(service, 5).catch(() => [])).slice(0, 3)) reasons.push(`${service}: ${m.routingKey} ${m.reason}`);
      }
    }
    const ledger: Ledger = {
      scenario,
      submitted: ids.length,
      acknowledged: entries.filter((e) => e.acknowledgements >= 1).length,
      analysed: entries.filter((e) => e.workflows >= 1).length,
      answered: entries.filter((e) => e.status === 'answered').length,
      lost: entries.filter((e) => !complete(e)).map((e) => `${e.id} (${e.status}, ${e.acknowledgements} ack, ${e.workflows} workflow, ${e.results} results)`),
      duplicated: entries.filter((e) => e.acknowledgements > 1 || e.workflows > 1 || e.results > 1).map(({ id, acknowledgements, workflows, results }) => ({ id, acknowledgements, workflows, results })),
      parked,
      refusedWhileDown: { ...this.refused },
    };
    console.log(
      [
        `ledger: ${scenario}`,
        `  submitted ${ledger.submitted}, acknowledged ${ledger.acknowledged}, analysed ${ledger.analysed}, answered ${ledger.answered}`,
        `  lost ${ledger.lost.length}, duplicated ${ledger.duplicated.length}, parked ${JSON.stringify(ledger.parked)}, refused ${JSON.stringify(ledger.refusedWhileDown)}`,
        ...ledger.lost.slice(0, 10).map((l) => `  lost: ${l}`),
        ...ledger.duplicated.slice(0, 10).map((d) => `  duplicated: ${JSON.stringify(d)}`),
        ...reasons.map((r) => `  parked: ${r}`),
      ].join('\n'),
    );
    return ledger;
  }

  /** The output of every app, for a failing test's message. */
  outputs(): string {
    return Object.values(this.apps)
      .map((app) => `--- ${app.app} ---\n${app.output.slice(-1500)}`)
      .join('\n');
  }
}

/** What every scenario must end with: nothing lost, nothing done twice, nothing parked. */
export function expectClean(ledger: Ledger): void {
  expect({ scenario: ledger.scenario, lost: ledger.lost, duplicated: ledger.duplicated, parked: ledger.parked }).toEqual({ scenario: ledger.scenario, lost: [], duplicated: [], parked: {} });
  expect(ledger.submitted).toBeGreaterThan(0);
}
