import { randomBytes } from 'node:crypto';
import { BaseEnv, loadEnv } from '@statex/config';

/** Names that isolate one test file on the shared PostgreSQL and RabbitMQ. */
export function uniqueNamespace(prefix = 't'): string {
  return `${prefix}${randomBytes(4).toString('hex')}`;
}

/**
 * An environment for a test: the machine's infrastructure (from the real environment
 * if set), an isolated RabbitMQ namespace and database prefix, short retry delays,
 * and the test's overrides. The developer's `.env` file is not read.
 */
export function testEnv<E extends BaseEnv>(schema: new () => E, namespace: string, overrides: Record<string, string | number | boolean> = {}): E {
  const source = testProcessEnv(namespace, { LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', RABBITMQ_RETRY_DELAYS_MS: '200,400' });
  for (const [key, value] of Object.entries(overrides)) source[key] = String(value);
  return loadEnv(schema, source);
}

/** The same as environment variables, for services started as processes (and the base of testEnv). */
export function testProcessEnv(namespace: string, overrides: Record<string, string | number> = {}): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'test',
    ENV_FILE: '/nonexistent/.env',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    RABBITMQ_NAMESPACE: namespace,
    BULLMQ_PREFIX: namespace,
    POSTGRES_DB_PREFIX: `${namespace}_`,
    RABBITMQ_RETRY_DELAYS_MS: '200,400,800',
    OUTBOX_POLL_INTERVAL_MS: '200',
    // Tests send many forms from one address; the rate-limit tests turn it back on.
    SUBMISSION_RATE_LIMIT_PER_MINUTE: '0',
  };
  for (const key of ['POSTGRES_HOST', 'POSTGRES_PORT', 'POSTGRES_USER', 'POSTGRES_PASSWORD', 'RABBITMQ_URL', 'REDIS_URL']) {
    if (process.env[key]) env[key] = process.env[key]!;
  }
  for (const [key, value] of Object.entries(overrides)) env[key] = String(value);
  return env;
}
