import amqp from 'amqplib';
import { logExchangeOf } from '@statex/observability';
import { logQueueOf } from '@statex/observability';

/** What logging and the log shippers declare besides the service queues BrokerProbe.cleanup removes. */
export async function deleteLogTopology(namespace: string, url = process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672'): Promise<void> {
  const connection = await amqp.connect(url);
  try {
    const run = async (work: (channel: amqp.Channel) => Promise<unknown>) => {
      const channel = await connection.createChannel();
      channel.on('error', () => undefined);
      await work(channel).catch(() => undefined);
      await channel.close().catch(() => undefined);
    };
    await run((c) => c.deleteQueue(logQueueOf(namespace)));
    await run((c) => c.deleteExchange(logExchangeOf(namespace)));
    await run((c) => c.deleteExchange(`${logExchangeOf(namespace)}.tail`));
  } finally {
    await connection.close().catch(() => undefined);
  }
}
