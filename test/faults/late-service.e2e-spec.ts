import { expectClean, FaultPlatform } from './fault-platform';

/**
 * Only submission runs while leads arrive; the services that consume its events start later. The
 * queues they consume exist from submission's first connection (the registry in the contracts),
 * so their events wait for them.
 */
describe('faults: the consuming services started last, after events for them were published', () => {
  const platform = new FaultPlatform();

  beforeAll(async () => {
    await platform.start(['submission']);
  }, 180_000);

  afterAll(async () => {
    await platform.stop();
  }, 120_000);

  it('acknowledges, analyses and answers the leads accepted before they started', async () => {
    const ids = await platform.burst('late', 10, 10);
    // The events are published (the outbox is empty) before anyone consumes them.
    await platform.waitForOutboxEmpty('submission');
    await platform.startApps(['ai-worker', 'notification', 'ai-orchestrator', 'logging', 'user-portal', 'content']);
    const ledger = await platform.ledger('consumers started after submission', ids);
    expectClean(ledger);
  }, 420_000);
});
