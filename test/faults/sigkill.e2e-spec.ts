import { Client } from 'pg';
import { queryDatabase, sleep, waitFor } from '@statex/testing';
import type { AppName } from '../platform';
import { expectClean, FaultPlatform, Ledger } from './fault-platform';

const VICTIMS: AppName[] = ['submission', 'notification', 'ai-orchestrator', 'ai-worker'];

/**
 * SIGKILL of each consuming service in turn, mid-burst (submission's relay, notification,
 * ai-orchestrator, ai-worker), each started again at once. The one documented crash window: a
 * message whose send was answered by the provider but whose outcome was not yet committed is sent
 * again after the restart, and that attempt is on record as interrupted.
 */
describe('faults: SIGKILL of each consuming service in turn mid-burst', () => {
  const platform = new FaultPlatform();

  beforeAll(async () => {
    await platform.start();
    platform.smtp.delayMs = 50;
  }, 180_000);

  afterAll(async () => {
    await platform.stop();
  }, 120_000);

  /**
   * Makes notification hold a delivery when it is killed: a lock on its inbox table (taken by the
   * test) keeps the handler of one more lead's request.created waiting, unacknowledged, and the
   * kill comes once PostgreSQL shows that handler waiting on the lock.
   */
  async function killNotificationHoldingADelivery(held: string[]): Promise<void> {
    const lock = new Client({ host: '127.0.0.1', user: 'postgres', database: `${platform.namespace}_notification` });
    await lock.connect();
    try {
      await lock.query('BEGIN');
      await lock.query('LOCK TABLE inbox_messages IN EXCLUSIVE MODE');
      const id = await platform.submit('kill-held');
      if (id) held.push(id);
      await waitFor(
        async () =>
          (await queryDatabase<{ n: number }>(`${platform.namespace}_notification`, "SELECT count(*)::int AS n FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'inbox_messages' AND NOT l.granted"))[0].n > 0,
        { what: "notification's handler to wait on the inbox lock, holding its delivery", timeoutMs: 15_000 },
      );
      await platform.apps.notification.stop('SIGKILL');
    } finally {
      await lock.query('ROLLBACK').catch(() => undefined);
      await lock.end();
    }
  }

  it('loses nothing, and anything done twice is a send interrupted by the crash, on record', async () => {
    const held: string[] = [];
    const ids = await platform.burst('kill', 50, 8, async (i) => {
      const victim = VICTIMS[i / 10 - 1];
      if (i % 10 === 0 && victim) {
        if (victim === 'notification') await killNotificationHoldingADelivery(held);
        else await platform.apps[victim].stop('SIGKILL');
        platform.apps[victim].start();
        if (victim === 'submission') await platform.apps.submission.ready(60_000);
      }
    });
    ids.push(...held);
    await sleep(500);
    for (const victim of VICTIMS) await platform.apps[victim].ready(60_000);
    const ledger = await platform.ledger('SIGKILL of each consumer in turn', ids);
    const interrupted = await queryDatabase<{ id: string }>(
      `${platform.namespace}_notification`,
      "SELECT DISTINCT n.correlation_id::text AS id FROM notification_attempts a JOIN notifications n ON n.id = a.notification_id WHERE a.error LIKE 'interrupted:%'",
    );
    const inWindow = new Set(interrupted.map((r) => r.id));
    // Only emails may repeat, only for a send on record as interrupted, and never a workflow.
    const beyondWindow: Ledger['duplicated'] = ledger.duplicated.filter((d) => d.workflows > 1 || !inWindow.has(d.id));
    expectClean({ ...ledger, duplicated: beyondWindow });
    // Killed holding a delivery: the broker handed it out again, and the restarted notification counted it.
    const metrics = await (await fetch(`${platform.apps.notification.url}/metrics`)).text();
    const redelivered = [...metrics.matchAll(/^statex_messages_redelivered_total\{[^}]*\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
    expect(held).toHaveLength(1);
    expect(redelivered).toBeGreaterThan(0);
    console.log(`  within the crash window: ${ledger.duplicated.length - beyondWindow.length} lead(s) emailed twice, each on record as interrupted`);
  }, 600_000);
});
