import { sleep } from '@statex/testing';
import { expectClean, FaultPlatform } from './fault-platform';
import { rabbitmq, restoreAll } from './infrastructure';

/** RabbitMQ stopped and started three times while leads keep coming: the outboxes hold what cannot be published. */
describe('faults: RabbitMQ stopped and started three times during load', () => {
  const platform = new FaultPlatform();

  beforeAll(async () => {
    await platform.start();
  }, 180_000);

  afterAll(async () => {
    await restoreAll();
    await platform.stop();
  }, 120_000);

  it('loses nothing, does nothing twice and parks nothing', async () => {
    const ids = await platform.burst('amqp', 45, 5, async (i) => {
      if (i > 0 && i % 15 === 0) {
        await rabbitmq.stop();
        await sleep(2000);
        await rabbitmq.start();
      }
    });
    const ledger = await platform.ledger('RabbitMQ stopped three times', ids);
    expectClean(ledger);
  }, 600_000);
});
