import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { DatabaseEnv } from '@statex/config';
import { RoutingKey } from '@statex/contracts';
import { EventPublisher, InboxService, MESSAGING_ENTITIES, MESSAGING_MIGRATIONS, OutboxRelay, OutboxService } from '@statex/messaging';
import { dataSourceOptions, ensureDatabase } from '@statex/persistence';
import { BrokerProbe, PgStatementCounter, removeTestNamespace, sleep, testEnv, uniqueNamespace, waitFor } from '@statex/testing';
import { requestCreated } from './helpers';

describe('outbox and inbox (real PostgreSQL and RabbitMQ)', () => {
  const namespace = uniqueNamespace('obx');
  const env = testEnv(DatabaseEnv, namespace);
  const probe = new BrokerProbe(namespace);
  const outbox = new OutboxService();
  let dataSource: DataSource;
  const publishers: EventPublisher[] = [];
  const relays: OutboxRelay[] = [];

  const newRelay = (url = env.RABBITMQ_URL, publisher = new EventPublisher({ url, namespace, source: 'outbox-test', confirmTimeoutMs: 1500 }), options: { maxAttempts?: number; pollIntervalMs?: number } = {}) => {
    publishers.push(publisher);
    const relay = new OutboxRelay(dataSource, publisher, { pollIntervalMs: 100, batchSize: 50, ...options });
    relays.push(relay);
    return relay;
  };

  beforeAll(async () => {
    await probe.start();
    const options = dataSourceOptions(env, { service: 'outbox-test', entities: MESSAGING_ENTITIES, migrations: MESSAGING_MIGRATIONS });
    await ensureDatabase(env, options.database!);
    dataSource = await new DataSource(options).initialize();
    await dataSource.runMigrations();
  });

  afterAll(async () => {
    for (const relay of relays) await relay.stop();
    for (const publisher of publishers) await publisher.close();
    await dataSource?.destroy();
    await removeTestNamespace(namespace);
    await probe.cleanup([]);
    await probe.stop();
  });

  afterEach(async () => {
    for (const relay of relays.splice(0)) await relay.stop();
  });

  const pending = async () => Number((await dataSource.query('SELECT count(*) AS n FROM outbox_messages WHERE published_at IS NULL'))[0].n);

  it('publishes a committed event with its id, type, source and correlation id', async () => {
    const event = requestCreated('committed');
    const id = await dataSource.transaction((m) => outbox.add(m, RoutingKey.RequestCreated, event, { correlationId: event.submissionId }));
    newRelay().start();
    const seen = await probe.waitForEvent(RoutingKey.RequestCreated, (m) => m.payload.submissionId === event.submissionId);
    expect(seen.message.properties).toMatchObject({ messageId: id, type: RoutingKey.RequestCreated, appId: 'outbox-test', correlationId: event.submissionId, deliveryMode: 2 });
    expect(typeof seen.message.properties.timestamp).toBe('number');
    await waitFor(async () => (await pending()) === 0, { what: 'the row to be marked sent' });
  });

  it('never publishes an event whose transaction rolled back', async () => {
    const event = requestCreated('rolled back');
    await expect(
      dataSource.transaction(async (m) => {
        await outbox.add(m, RoutingKey.RequestCreated, event);
        throw new Error('state change failed');
      }),
    ).rejects.toThrow('state change failed');
    const marker = requestCreated('after rollback');
    await dataSource.transaction((m) => outbox.add(m, RoutingKey.RequestCreated, marker));
    newRelay().start();
    await probe.waitForEvent(RoutingKey.RequestCreated, (m) => m.payload.submissionId === marker.submissionId);
    expect(probe.messages(RoutingKey.RequestCreated, (m) => m.payload.submissionId === event.submissionId)).toHaveLength(0);
  });

  it('refuses to write outside a transaction', async () => {
    await expect(outbox.add(dataSource.manager, RoutingKey.RequestCreated, requestCreated('no tx'))).rejects.toThrow(/inside a transaction/);
  });

  it('keeps events while the broker is unreachable and publishes them later', async () => {
    const event = requestCreated('broker down');
    await dataSource.transaction((m) => outbox.add(m, RoutingKey.RequestCreated, event));
    const unreachable = newRelay('amqp://guest:guest@127.0.0.1:1', undefined, { maxAttempts: 1 });
    await expect(unreachable.relayBatch()).rejects.toThrow();
    await expect(unreachable.relayBatch()).rejects.toThrow();
    const [row] = await dataSource.query('SELECT attempts, last_error, published_at, set_aside_at FROM outbox_messages WHERE payload->>\'submissionId\' = $1', [event.submissionId]);
    expect(row.published_at).toBeNull();
    // An outage is no fault of the row: no attempt counted, nothing set aside, the reason on record.
    expect(row.attempts).toBe(0);
    expect(row.set_aside_at).toBeNull();
    expect(row.last_error).toBeTruthy();
    newRelay().start();
    await probe.waitForEvent(RoutingKey.RequestCreated, (m) => m.payload.submissionId === event.submissionId);
  });

  it('woken by each commit, publishes it in one look at the outbox, without an empty look after it', async () => {
    // The poll is a minute away: only the commits' notifications can wake the relay in time.
    const relay = newRelay(undefined, undefined, { pollIntervalMs: 60_000 });
    const looks = jest.spyOn(relay, 'relayBatch');
    relay.start();
    await waitFor(async () => Number((await dataSource.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'`))[0].n) > 0, {
      what: 'the relay to listen',
    });
    await waitFor(async () => looks.mock.calls.length === 1 && (await pending()) === 0, { what: 'the first look, at start' });
    const events = Array.from({ length: 5 }, (_, i) => requestCreated(`woken ${i}`));
    for (const event of events) {
      await dataSource.transaction((m) => outbox.add(m, RoutingKey.RequestCreated, event));
      await probe.waitForEvent(RoutingKey.RequestCreated, (m) => m.payload.submissionId === event.submissionId, 5000);
      await sleep(100);
    }
    // One look per commit (and the first): before, each was followed by a look that found nothing.
    expect(looks.mock.calls.length).toBe(1 + events.length);
  });

  it('two relays publish 300 events exactly once between them', async () => {
    const events = Array.from({ length: 300 }, (_, i) => requestCreated(`bulk ${i}`));
    for (let i = 0; i < events.length; i += 50) {
      await dataSource.transaction(async (m) => {
        for (const e of events.slice(i, i + 50)) await outbox.add(m, RoutingKey.RequestCreated, e);
      });
    }
    const wanted = new Set(events.map((e) => e.submissionId));
    newRelay().start();
    newRelay().start();
    await waitFor(() => probe.messages(RoutingKey.RequestCreated, (m) => wanted.has(m.payload.submissionId)).length >= 300, { what: '300 events', timeoutMs: 30_000 });
    await sleep(500);
    const seen = probe.messages(RoutingKey.RequestCreated, (m) => wanted.has(m.payload.submissionId));
    expect(seen).toHaveLength(300);
    expect(new Set(seen.map((m) => m.message.properties.messageId)).size).toBe(300);
    expect(await pending()).toBe(0);
  });

  it('leaves a row another relay has claimed until the claim lapses (a relay that died holding it), then publishes it, and holds no transaction while publishing', async () => {
    const event = requestCreated('claimed elsewhere');
    const id = await dataSource.transaction((m) => outbox.add(m, RoutingKey.RequestCreated, event));
    await dataSource.query(`UPDATE outbox_messages SET claimed_until = now() + interval '1 hour' WHERE id = $1`, [id]);
    const relay = newRelay();
    expect(await relay.relayBatch()).toBe(0);
    expect(probe.messages(RoutingKey.RequestCreated, (m) => m.payload.submissionId === event.submissionId)).toHaveLength(0);
    // The claim lapses: the next look publishes the row, in two statements and outside any transaction.
    await dataSource.query(`UPDATE outbox_messages SET claimed_until = now() - interval '1 second' WHERE id = $1`, [id]);
    const counter = new PgStatementCounter();
    const transaction = jest.spyOn(dataSource, 'transaction');
    try {
      expect(await counter.run('relay', () => relay.relayBatch())).toBe(1);
    } finally {
      counter.restore();
      transaction.mockRestore();
    }
    expect(counter.of('relay', 6)).toEqual(['UPDATE', 'UPDATE']);
    expect(transaction).not.toHaveBeenCalled();
    await probe.waitForEvent(RoutingKey.RequestCreated, (m) => m.payload.submissionId === event.submissionId);
    expect(await dataSource.query(`SELECT published_at IS NOT NULL AS published, claimed_until FROM outbox_messages WHERE id = $1`, [id])).toEqual([{ published: true, claimed_until: null }]);
  });

  it('publishes row by row: a row that keeps failing holds back and re-sends nothing, and is set aside after its attempts', async () => {
    class PoisonedPublisher extends EventPublisher {
      override async publish(message: Parameters<EventPublisher['publish']>[0]): Promise<string> {
        if ((message.payload as { message?: string }).message === 'poison') throw new Error('the broker refused this message');
        return super.publish(message);
      }
    }
    const good = [requestCreated('good 1'), requestCreated('good 2')];
    const poison = requestCreated('poison');
    await dataSource.transaction(async (m) => {
      await outbox.add(m, RoutingKey.RequestCreated, good[0]);
      await outbox.add(m, RoutingKey.RequestCreated, poison);
      await outbox.add(m, RoutingKey.RequestCreated, good[1]);
    });
    const relay = newRelay(env.RABBITMQ_URL, new PoisonedPublisher({ url: env.RABBITMQ_URL, namespace, source: 'outbox-test', confirmTimeoutMs: 1500 }), { maxAttempts: 3 });
    relay.start();
    const row = () => dataSource.query('SELECT attempts, set_aside_at, last_error FROM outbox_messages WHERE payload->>\'message\' = $1', ['poison']).then((r: Record<string, unknown>[]) => r[0]);
    await waitFor(async () => (await row()).set_aside_at !== null, { what: 'the poison row to be set aside', timeoutMs: 20_000 });
    expect(await row()).toMatchObject({ attempts: 3, last_error: 'the broker refused this message' });
    const wanted = new Set(good.map((g) => g.submissionId));
    await waitFor(() => probe.messages(RoutingKey.RequestCreated, (m) => wanted.has(m.payload.submissionId)).length === 2, { what: 'both good rows' });
    // Each good row went out once, though its batch also held the failing row three times.
    expect(probe.messages(RoutingKey.RequestCreated, (m) => wanted.has(m.payload.submissionId))).toHaveLength(2);
    expect(await relay.backlog()).toMatchObject({ setAside: 1 });
    const metrics = await (await import('prom-client')).register.getSingleMetricAsString('statex_outbox_set_aside_rows');
    expect(metrics).toMatch(/statex_outbox_set_aside_rows\S* 1$/m);
  });

  it('prunes published outbox rows and processed inbox rows past their retention, and keeps the rest', async () => {
    const old = randomUUID();
    const fresh = randomUUID();
    await dataSource.query(`INSERT INTO outbox_messages (id, routing_key, payload, created_at, published_at) VALUES ($1, 'request.created', '{}', now() - interval '100 hours', now() - interval '99 hours'), ($2, 'request.created', '{}', now(), now())`, [old, fresh]);
    await dataSource.query(`INSERT INTO inbox_messages (consumer, message_id, routing_key, processed_at) VALUES ('prune-test', $1, 'x', now() - interval '30 days'), ('prune-test', $2, 'x', now())`, [old, fresh]);
    const relay = newRelay();
    const pruned = await relay.prune();
    expect(pruned.outbox).toBeGreaterThanOrEqual(1);
    expect(pruned.inbox).toBeGreaterThanOrEqual(1);
    expect((await dataSource.query('SELECT id FROM outbox_messages WHERE id = ANY($1)', [[old, fresh]])).map((r: { id: string }) => r.id)).toEqual([fresh]);
    expect((await dataSource.query(`SELECT message_id FROM inbox_messages WHERE consumer = 'prune-test'`)).map((r: { message_id: string }) => r.message_id)).toEqual([fresh]);
  });

  it('inbox: a redelivered message has no second effect', async () => {
    const inbox = new InboxService(dataSource);
    await dataSource.query('CREATE TABLE IF NOT EXISTS effects (id serial PRIMARY KEY, note text)');
    const ctx = { messageId: randomUUID(), routingKey: RoutingKey.RequestCreated };
    const effect = (note: string) => (m: import('typeorm').EntityManager) => m.query('INSERT INTO effects (note) VALUES ($1)', [note]).then(() => undefined);
    expect(await inbox.once('test-consumer', ctx, effect('first'))).toBe(true);
    expect(await inbox.once('test-consumer', ctx, effect('second'))).toBe(false);
    // Another consumer of the same message is independent.
    expect(await inbox.once('other-consumer', ctx, effect('other'))).toBe(true);
    // An effect that fails leaves no marker, so the retry applies it.
    const failing = { messageId: randomUUID(), routingKey: RoutingKey.RequestCreated };
    await expect(inbox.once('test-consumer', failing, async () => { throw new Error('boom'); })).rejects.toThrow('boom');
    expect(await inbox.once('test-consumer', failing, effect('retried'))).toBe(true);
    const notes = (await dataSource.query('SELECT note FROM effects ORDER BY id')).map((r: { note: string }) => r.note);
    expect(notes).toEqual(['first', 'other', 'retried']);
    expect(await inbox.hasProcessed('test-consumer', ctx.messageId)).toBe(true);
  });
});
