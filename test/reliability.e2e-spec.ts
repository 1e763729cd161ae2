import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrokerProbe, removeTestNamespace, queryDatabase, ServiceProcess, sleep, SmtpStandIn, uniqueNamespace, waitFor } from '@statex/testing';
import { platformProcesses } from './platform';

function rabbitmqctl(...args: string[]): void {
  execFileSync('rabbitmqctl', args, { stdio: 'pipe', timeout: 60_000 });
}

async function submit(base: string, i: number): Promise<string> {
  const res = await fetch(`${base}/api/submissions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: `Lead ${i}`, email: `lead${i}@example.com`, message: `Request number ${i}` }),
  });
  if (res.status !== 202) throw new Error(`submission ${i} answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as any).id;
}

/** Nothing accepted is lost while the broker is away; every submission is acknowledged exactly once. */
describe('reliability: RabbitMQ stopped and started while submissions are accepted', () => {
  const namespace = uniqueNamespace('rel');
  const smtp = new SmtpStandIn();
  let apps: Record<'submission' | 'notification', ServiceProcess>;
  let brokerStopped = false;

  beforeAll(async () => {
    await smtp.start();
    apps = platformProcesses(namespace, ['submission', 'notification'], {
      SMTP_PORT: smtp.port,
      STORAGE_LOCAL_DIR: mkdtempSync(join(tmpdir(), 'statex-reliability-')),
    }) as Record<'submission' | 'notification', ServiceProcess>;
    for (const app of Object.values(apps)) app.start();
    for (const app of Object.values(apps)) await app.ready(90_000);
  }, 120_000);

  afterAll(async () => {
    if (brokerStopped) rabbitmqctl('start_app');
    await Promise.all(Object.values(apps ?? {}).map((app) => app.stop()));
    await smtp.stop();
    await removeTestNamespace(namespace);
    const probe = await new BrokerProbe(namespace).start();
    await probe.cleanup(['submission', 'notification']);
    await probe.stop();
  });

  it('acknowledges every accepted submission exactly once', async () => {
    const base = apps.submission.url;
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push(await submit(base, i));

    rabbitmqctl('stop_app');
    brokerStopped = true;
    // Accepted while the broker is down: the outbox holds their events.
    for (let i = 10; i < 20; i++) ids.push(await submit(base, i));
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(503);
    // The failing check is the broker's; the database's is still up.
    const health = (await ready.json()) as any;
    expect(health.details.rabbitmq.status).toBe('down');
    expect(health.details.database.status).toBe('up');
    await sleep(2000);
    rabbitmqctl('start_app');
    brokerStopped = false;
    for (let i = 20; i < 30; i++) ids.push(await submit(base, i));

    await waitFor(() => ids.every((id) => smtp.find(id).length >= 1), { timeoutMs: 90_000, intervalMs: 500, what: 'an acknowledgement for all 30 submissions' });
    await waitFor(
      async () => {
        const statuses = await Promise.all(ids.map(async (id) => ((await (await fetch(`${base}/api/submissions/${id}`)).json()) as any).status));
        return statuses.every((s) => s === 'acknowledged');
      },
      { timeoutMs: 60_000, intervalMs: 500, what: 'every submission acknowledged' },
    );
    // Nothing left in flight before counting: both outboxes published, the notification queue empty.
    const probe = await new BrokerProbe(namespace).start();
    try {
      await waitFor(
        async () => {
          const outboxes = await Promise.all(['submission', 'notification'].map((db) => queryDatabase<{ n: number }>(`${namespace}_${db}`, 'SELECT count(*)::int AS n FROM outbox_messages WHERE published_at IS NULL')));
          return outboxes.every(([row]) => row.n === 0) && (await probe.messageCount(`${namespace}.notification`)) === 0 && (await probe.messageCount(`${namespace}.submission`)) === 0;
        },
        { what: 'both outboxes published and both queues drained' },
      );
    } finally {
      await probe.stop();
    }
    for (const id of ids) expect(smtp.find(id)).toHaveLength(1);
  }, 240_000);
});
