/**
 * Before any test: PostgreSQL, Redis and RabbitMQ answer a real round trip within seconds. A
 * dependency that is down, or up but not answering (a broker out of sockets or under an alarm),
 * stops the run at once with what was found, instead of every test waiting out its hooks.
 */
const amqp = require('amqplib');
const { Client } = require('pg');
const Redis = require('ioredis');

const within = (ms, what, work) =>
  Promise.race([work(), new Promise((_, reject) => setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms).unref())]);

async function postgres() {
  const client = new Client({ connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres', connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function redis() {
  const client = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 10_000 });
  try {
    await client.connect();
    await client.ping();
  } finally {
    client.disconnect();
  }
}

async function rabbitmq() {
  const connection = await amqp.connect(process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672', { timeout: 10_000 });
  try {
    let blocked;
    connection.on('blocked', (reason) => (blocked = reason));
    const channel = await connection.createConfirmChannel();
    const { queue } = await channel.assertQueue('', { exclusive: true });
    await new Promise((resolve, reject) => channel.sendToQueue(queue, Buffer.from('preflight'), {}, (error) => (error ? reject(error) : resolve())));
    if (!(await channel.get(queue, { noAck: true }))) throw new Error('a confirmed message was not there to get');
    if (blocked) throw new Error(`the broker blocks publishers: ${blocked}`);
  } finally {
    await connection.close().catch(() => undefined);
  }
}

module.exports = async function preflight() {
  const failures = [];
  for (const [name, check] of [['PostgreSQL', postgres], ['Redis', redis], ['RabbitMQ', rabbitmq]]) {
    await within(20_000, name, check).catch((error) => failures.push(`${name}: ${error.message}`));
  }
  if (failures.length > 0) throw new Error(`The test dependencies are not usable, so no test runs:\n  ${failures.join('\n  ')}`);
};
