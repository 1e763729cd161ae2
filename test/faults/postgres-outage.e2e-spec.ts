import { sleep, waitFor } from '@statex/testing';
import { expectClean, FaultPlatform } from './fault-platform';
import { postgres, restoreAll } from './infrastructure';

/** How long PostgreSQL stays down: 20 s in CI, 60 s (the figure) in `npm run test:faults`. */
const OUTAGE_S = Number(process.env.FAULT_PG_OUTAGE_S ?? 20);

/**
 * PostgreSQL stopped mid-burst: every service's database is unreachable at once, while events for
 * them wait in their queues. Nothing may be parked or lost: consumers pause and resume by themselves.
 */
describe(`faults: PostgreSQL stopped for ${OUTAGE_S} s mid-burst`, () => {
  const platform = new FaultPlatform();

  beforeAll(async () => {
    await platform.start();
    // A slow SMTP server keeps acknowledgements in flight when the database goes away.
    platform.smtp.delayMs = 150;
  }, 180_000);

  afterAll(async () => {
    await restoreAll();
    await platform.stop();
  }, 120_000);

  it('acknowledges, analyses and answers every lead accepted before the outage, once each, and parks nothing', async () => {
    const ids = await platform.burst('pg', 30, 15);
    // Stop as soon as the first leads are acknowledged: the rest of the journey is still in the queues.
    await waitFor(() => platform.smtp.messages.length >= 3, { what: 'the first acknowledgements', timeoutMs: 30_000 });
    await postgres.stop();
    const stoppedAt = Date.now();
    // While it is down the services say so, and the form refuses with a 503 rather than losing a lead.
    await waitFor(async () => (await fetch(`${platform.apps.notification.url}/health/ready`)).status === 503, { what: 'notification to report not ready' });
    // Readiness names the failing check: the database, while the broker is fine.
    const health = (await (await fetch(`${platform.apps.submission.url}/health/ready`)).json()) as { details: Record<string, { status: string }> };
    expect({ database: health.details.database.status, rabbitmq: health.details.rabbitmq.status }).toEqual({ database: 'down', rabbitmq: 'up' });
    expect(await platform.submit('during-outage')).toBeUndefined();
    expect(Object.keys(platform.refused)).toEqual(['503']);
    await sleep(Math.max(0, OUTAGE_S * 1000 - (Date.now() - stoppedAt)));
    await postgres.start();
    // Leads accepted after the outage go through too.
    ids.push(...(await platform.burst('pg-after', 5, 5)));
    const ledger = await platform.ledger(`PostgreSQL down ${OUTAGE_S} s`, ids);
    expectClean(ledger);
  }, 420_000);
});
