import { queryDatabase, sleep } from '@statex/testing';
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

  it('loses nothing, and anything done twice is a send interrupted by the crash, on record', async () => {
    const ids = await platform.burst('kill', 50, 8, async (i) => {
      const victim = VICTIMS[i / 10 - 1];
      if (i % 10 === 0 && victim) {
        await platform.apps[victim].stop('SIGKILL');
        platform.apps[victim].start();
        if (victim === 'submission') await platform.apps.submission.ready(60_000);
      }
    });
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
    // Killed holding deliveries: the broker handed them out again, and the restarted services counted them.
    const redelivered = await Promise.all(
      VICTIMS.map(async (app) => {
        const text = await (await fetch(`${platform.apps[app].url}/metrics`)).text();
        return [...text.matchAll(/^statex_messages_redelivered_total\{[^}]*\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
      }),
    );
    expect(redelivered.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    console.log(`  within the crash window: ${ledger.duplicated.length - beyondWindow.length} lead(s) emailed twice, each on record as interrupted`);
  }, 600_000);
});
