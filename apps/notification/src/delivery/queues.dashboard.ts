import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DeliveryQueues } from './delivery.queues';

/** Bull Board at /queues: each channel's jobs, with retry and clean actions. */
export async function mountQueuesDashboard(app: NestFastifyApplication): Promise<void> {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath('/queues');
  createBullBoard({ queues: [...app.get(DeliveryQueues).queues.values()].map((q) => new BullMQAdapter(q)), serverAdapter });
  await app.register(serverAdapter.registerPlugin() as never, { prefix: '/queues' });
}
