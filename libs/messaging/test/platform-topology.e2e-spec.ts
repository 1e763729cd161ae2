import amqp from 'amqplib';
import { EVENT_CONSUMERS, RoutingKey } from '@statex/contracts';
import { assertPlatformTopology, EventPublisher, topologyFor } from '@statex/messaging';
import { BrokerProbe, uniqueNamespace, waitFor } from '@statex/testing';
import { requestCreated } from './helpers';

/** An event published before its consumers ever started reaches their queues all the same. */
describe('the platform topology, declared by every publisher from the registry (real RabbitMQ)', () => {
  const namespace = uniqueNamespace('ptp');
  const url = process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

  afterAll(async () => {
    const probe = await new BrokerProbe(namespace).start();
    await probe.cleanup([]);
    await probe.stop();
  });

  it('routes request.created to every consumer in the registry although none of them has started', async () => {
    const publisher = new EventPublisher({ url, namespace, source: 'submission', declare: (channel) => assertPlatformTopology(channel, namespace, EVENT_CONSUMERS, [200, 400, 800]) });
    await publisher.publish({ routingKey: RoutingKey.RequestCreated, payload: requestCreated('early bird') });
    await publisher.close();

    const connection = await amqp.connect(url);
    const channel = await connection.createChannel();
    const depth = async (service: string) => (await channel.checkQueue(topologyFor(namespace, service).queue)).messageCount;
    await waitFor(async () => (await depth('notification')) === 1, { what: 'the event in notification’s queue' });
    expect(await depth('ai-orchestrator')).toBe(1);
    expect(await depth('logging')).toBe(1);
    expect(await depth('submission')).toBe(0);
    expect((await channel.checkQueue(topologyFor(namespace, 'x').unroutedQueue)).messageCount).toBe(0);
    await connection.close();
  });
});
