import { sleep, waitFor } from '@statex/testing';
import { expectClean, FaultPlatform } from './fault-platform';
import { redis, restoreAll } from './infrastructure';

/**
 * Redis killed mid-burst and started again empty (it keeps nothing on disk): every BullMQ job of
 * notification and the AI pipeline is gone. The sweepers find what the database says is unfinished.
 */
describe('faults: Redis killed and restarted mid-burst', () => {
  const platform = new FaultPlatform();

  beforeAll(async () => {
    await platform.start();
    platform.smtp.delayMs = 100;
  }, 180_000);

  afterAll(async () => {
    await restoreAll();
    await platform.stop();
  }, 120_000);

  it('acknowledges, analyses and answers every accepted lead once, from what the databases hold', async () => {
    const ids = await platform.burst('redis', 30, 15, async (i) => {
      if (i === 15) {
        await redis.kill();
        // Readiness names the failing check: Redis, for the services that use it.
        await waitFor(async () => (await fetch(`${platform.apps.notification.url}/health/ready`)).status === 503, { what: 'notification to report not ready' });
        const health = (await (await fetch(`${platform.apps.notification.url}/health/ready`)).json()) as { details: Record<string, { status: string }> };
        expect({ redis: health.details.redis?.status, database: health.details.database.status }).toEqual({ redis: 'down', database: 'up' });
        await sleep(3000);
        await redis.start();
      }
    });
    await waitFor(() => platform.smtp.messages.length > 0, { what: 'the first email' });
    const ledger = await platform.ledger('Redis killed mid-burst', ids);
    expectClean(ledger);
  }, 420_000);
});
