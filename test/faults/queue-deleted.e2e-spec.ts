import { topologyFor } from '@statex/messaging';
import { BrokerProbe } from '@statex/testing';
import { expectClean, FaultPlatform } from './fault-platform';

/** A consumer's queue deleted while it runs (an operator's mistake, a broker migration). */
describe('faults: a consumer’s queue deleted while it runs', () => {
  const platform = new FaultPlatform();

  beforeAll(async () => {
    await platform.start();
  }, 180_000);

  afterAll(async () => {
    await platform.stop();
  }, 120_000);

  it.each(['notification', 'ai-orchestrator', 'submission'])('%s: declares its queue again and no lead is stranded', async (service) => {
    const probe = await new BrokerProbe(platform.namespace).start();
    try {
      const ids = await platform.burst(`del-${service}`, 30, 15, async (i) => {
        if (i === 15) await probe.deleteQueue(topologyFor(platform.namespace, service).queue);
      });
      const ledger = await platform.ledger(`${service}'s queue deleted mid-burst`, ids);
      expectClean(ledger);
    } finally {
      await probe.stop();
    }
  }, 420_000);
});
