/**
 * `npm run migrate`: creates each service's database if missing and applies its
 * pending migrations (the services also do this when they start).
 */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import amqp from 'amqplib';
import { DatabaseEnv, loadEnv, parseDelays } from '@statex/config';
import { EVENT_CONSUMERS } from '@statex/contracts';
import { assertPlatformTopology } from '@statex/messaging';
import { dataSourceOptions, ensureDatabase } from '@statex/persistence';
import { AI_ORCHESTRATOR_SCHEMA } from '../apps/ai-orchestrator/src/ai-orchestrator.schema';
import { CONTENT_SCHEMA } from '../apps/content/src/content.schema';
import { LOGGING_SCHEMA } from '../apps/logging/src/logging.schema';
import { NOTIFICATION_SCHEMA } from '../apps/notification/src/notification.schema';
import { SUBMISSION_SCHEMA } from '../apps/submission/src/submission.schema';
import { USER_PORTAL_SCHEMA } from '../apps/user-portal/src/user-portal.schema';

const SCHEMAS = [
  { service: 'submission', ...SUBMISSION_SCHEMA },
  { service: 'notification', ...NOTIFICATION_SCHEMA },
  { service: 'ai-orchestrator', ...AI_ORCHESTRATOR_SCHEMA },
  { service: 'user-portal', ...USER_PORTAL_SCHEMA },
  { service: 'content', ...CONTENT_SCHEMA },
  { service: 'logging', ...LOGGING_SCHEMA },
];

/** Every queue and binding the registry names, so events published before a service first starts wait for it. */
async function declareTopology(env: DatabaseEnv): Promise<void> {
  const connection = await amqp.connect(env.RABBITMQ_URL);
  try {
    const channel = await connection.createChannel();
    await assertPlatformTopology(channel, env.RABBITMQ_NAMESPACE, EVENT_CONSUMERS, parseDelays(env.RABBITMQ_RETRY_DELAYS_MS));
    await channel.close();
    console.log(`RabbitMQ (${env.RABBITMQ_NAMESPACE}): queues and bindings of ${Object.keys(EVENT_CONSUMERS).join(', ')} declared`);
  } finally {
    await connection.close();
  }
}

async function main(): Promise<void> {
  const env = loadEnv(DatabaseEnv);
  await declareTopology(env);
  for (const schema of SCHEMAS) {
    const options = dataSourceOptions(env, schema);
    await ensureDatabase(env, options.database!);
    const dataSource = await new DataSource(options).initialize();
    try {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      console.log(`${schema.service} (${options.database}): ${applied.length ? applied.map((m) => m.name).join(', ') : 'up to date'}`);
    } finally {
      await dataSource.destroy();
    }
  }
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
