import { randomUUID } from 'node:crypto';
import { createServer, get, IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { RoutingKey } from '@statex/contracts';
import { EventPublisher } from '@statex/messaging';
import { LogShipper, redactLogLine } from '@statex/observability';
import { AuthStandIn, bearer, BrokerProbe, PgStatementCounter, removeTestNamespace, queryDatabase, ServiceUnderTest, startServiceForTest, testEnv, uniqueNamespace, waitFor } from '@statex/testing';
import { loggingService } from '../src/logging.app';
import { LoggingEnv } from '../src/logging.env';
import { deleteLogTopology } from './log-broker-cleanup';
import { dayOf, partitionName } from '../src/logs/log-lines.repository';
import { LogPartitions } from '../src/logs/log-partitions.service';
import { EventLogService } from '../src/events/event-log.service';

const NDJSON = 'application/x-ndjson';
const ndjson = (lines: object[]) => lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
const DAY_MS = 86_400_000;

/** The logging service in-process, on a real PostgreSQL and RabbitMQ: ingest, search, tail, event log, timeline, retention, redaction. */
describe('logging: one searchable place for every log line and every lead’s story', () => {
  const namespace = uniqueNamespace('log');
  const auth = new AuthStandIn();
  const probe = new BrokerProbe(namespace);
  const publishers: EventPublisher[] = [];
  let service: ServiceUnderTest;
  let baseUrl: string;
  let operator: Record<string, string>;
  let serviceToken: Record<string, string>;

  const post = (lines: object[], token = serviceToken) => service.http.post('/api/logs').set(token).set('content-type', NDJSON).send(ndjson(lines));
  const logs = (query: Record<string, string>) => service.http.get('/api/logs').query(query).set(operator);
  /** Publishes a domain event as `source` does (EventPublisher, appId = source). */
  const publishAs = async (source: string, routingKey: string, payload: object, correlationId: string) => {
    const publisher = new EventPublisher({ url: process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672', namespace, source });
    publishers.push(publisher);
    return publisher.publish({ routingKey, payload, correlationId });
  };

  beforeAll(async () => {
    await auth.start();
    await probe.start();
    operator = bearer(await auth.mint({ roles: ['operator'] }));
    serviceToken = bearer(await auth.mint({ roles: ['service'], sub: 'service:website' }));
    service = await startServiceForTest(loggingService, testEnv(LoggingEnv, namespace, { ...auth.env, LOG_RETENTION_DAYS: 7 }));
    await service.app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(service.app.getHttpServer().address() as AddressInfo).port}`;
    await waitFor(async () => (await service.http.get('/health/ready')).status === 200, { what: 'logging to be ready' });
  });

  afterAll(async () => {
    for (const publisher of publishers) await publisher.close();
    await service?.app.close();
    await auth.stop();
    await deleteLogTopology(namespace);
    await probe.cleanup(['logging']);
    await probe.stop();
    await removeTestNamespace(namespace);
  });

  it('stores posted NDJSON lines and finds them by correlation id, service, level and words, newest first, a page at a time', async () => {
    const correlationId = randomUUID();
    const start = Date.now();
    const lines = Array.from({ length: 7 }, (_, i) => ({
      time: new Date(start + i).toISOString(),
      level: i === 6 ? 50 : 'info',
      service: i % 2 ? 'submission' : 'notification',
      msg: i === 6 ? 'Delivery exploded spectacularly' : `Step number ${i}`,
      correlationId,
      attempt: i,
    }));
    const res = await post(lines).expect(202);
    expect(res.body).toEqual({ accepted: 7, discarded: 0 });

    const all = await waitFor(async () => {
      const page = await logs({ correlationId, limit: '100' }).expect(200);
      return page.body.items.length === 7 && page.body;
    }, { what: 'the posted lines', timeoutMs: 5000 });
    expect(all.items.map((i: any) => i.message)).toEqual([...lines].reverse().map((l) => l.msg));
    expect(all.items[0]).toMatchObject({ time: lines[6].time, service: 'notification', level: 'error', message: 'Delivery exploded spectacularly', correlationId, fields: { attempt: 6 } });
    expect(all.nextCursor).toBeNull();

    // Paging: 3 + 3 + 1, no line twice, in the same order.
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 3; page++) {
      const res = await logs({ correlationId, limit: '3', ...(cursor ? { cursor } : {}) }).expect(200);
      seen.push(...res.body.items.map((i: any) => i.message));
      cursor = res.body.nextCursor ?? undefined;
      if (page < 2) expect(cursor).toEqual(expect.any(String));
    }
    expect(cursor).toBeUndefined();
    expect(seen).toEqual(all.items.map((i: any) => i.message));

    expect((await logs({ correlationId, service: 'notification' })).body.items).toHaveLength(4);
    expect((await logs({ correlationId, level: 'error' })).body.items.map((i: any) => i.message)).toEqual(['Delivery exploded spectacularly']);
    expect((await logs({ correlationId, level: 'warn,error' })).body.items).toHaveLength(1);
    expect((await logs({ correlationId, q: 'exploded' })).body.items).toHaveLength(1);
    expect((await logs({ correlationId, q: 'step -number' })).body.items).toHaveLength(0);
    expect((await logs({ correlationId, from: lines[5].time })).body.items).toHaveLength(2);
    expect((await logs({ correlationId, to: lines[1].time })).body.items).toHaveLength(1);
  });

  it('refuses bad input with a 400 naming the problem, and the wrong callers', async () => {
    expect((await logs({ level: 'loud' }).expect(400)).body.message).toContain('level must be one or more of');
    expect((await logs({ cursor: 'nonsense' }).expect(400)).body.message).toContain('cursor');
    expect((await logs({ from: 'yesterday' }).expect(400)).body.message).toContain('from must be an ISO 8601 time');
    expect((await service.http.post('/api/logs').set(serviceToken).set('content-type', NDJSON).send('{"message":"ok"}\nnot json\n').expect(400)).body.message).toContain('line 2');
    await service.http.post('/api/logs').set(serviceToken).send({ message: 'json, not ndjson' }).expect(415);
    await service.http.get('/api/logs').expect(401);
    await service.http.get('/api/logs').set(serviceToken).expect(403);
    await post([{ message: 'from a client' }], bearer(await auth.mint({ roles: ['client'] }))).expect(403);
    await post([{ message: 'from an operator' }], operator).expect(202);
  });

  it('stores lines a service ships through RabbitMQ (the transport’s shipper) with their correlation id', async () => {
    const correlationId = randomUUID();
    const shipper = new LogShipper({ url: process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672', namespace, service: 'ai-worker', bufferLines: 1000, batchLines: 20, flushMs: 50 }).start();
    const start = Date.now();
    for (let i = 0; i < 45; i++) {
      shipper.push(JSON.stringify({ level: 'info', time: new Date(start + i).toISOString(), service: 'ai-worker', message: `shipped ${i}`, correlationId }));
    }
    const found = await waitFor(async () => {
      const res = await logs({ correlationId, limit: '100' });
      return res.body.items.length === 45 && res.body.items;
    }, { what: 'the shipped lines', timeoutMs: 10_000 });
    expect(found[0]).toMatchObject({ service: 'ai-worker', correlationId, message: 'shipped 44' });
    expect(shipper.shipped).toBe(45);
    expect(shipper.dropped).toBe(0);
    await shipper.close();
  });

  it('never blocks its caller when the broker is unreachable: buffers up to the bound, then drops and counts', async () => {
    const shipper = new LogShipper({ url: 'amqp://guest:guest@127.0.0.1:1', namespace, service: 'submission', bufferLines: 10, batchLines: 5, flushMs: 20 }).start();
    const started = process.hrtime.bigint();
    for (let i = 0; i < 25; i++) shipper.push(JSON.stringify({ message: `lost ${i}` }));
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    expect(elapsedMs).toBeLessThan(50);
    expect(shipper.buffered).toBe(10);
    expect(shipper.dropped).toBe(15);
    expect(shipper.shipped).toBe(0);
    await shipper.close(100);
  });

  it('streams new lines that pass the filters, from every replica, to a live tail (server-sent events)', async () => {
    const correlationId = randomUUID();
    const received: string[] = [];
    let response: IncomingMessage | undefined;
    const request = get(`${baseUrl}/api/logs/tail?correlationId=${correlationId}&level=warn`, { headers: operator }, (res) => {
      response = res;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => received.push(chunk));
    });
    request.on('error', () => undefined);
    // Another replica of the service: the tail follows every replica's lines.
    const replica = await startServiceForTest(loggingService, testEnv(LoggingEnv, namespace, { ...auth.env, LOG_RETENTION_DAYS: 7 }), { consume: false });
    try {
      await waitFor(() => response, { what: 'the tail to answer' });
      expect(response!.statusCode).toBe(200);
      expect(response!.headers['content-type']).toContain('text/event-stream');
      await waitFor(() => received.join('').includes('event: ready'), { what: 'the tail to follow' });
      // Not for this tail: another correlation id, and a level it does not follow.
      await post([{ level: 'warn', message: 'someone else', correlationId: randomUUID() }, { level: 'info', message: 'too quiet', correlationId }]).expect(202);
      await replica.http.post('/api/logs').set(serviceToken).set('content-type', NDJSON).send(ndjson([{ level: 'warn', message: 'tail me', correlationId, service: 'notification' }])).expect(202);
      const text = await waitFor(() => received.join('').includes('tail me') && received.join(''), { what: 'the line on the tail', timeoutMs: 5000 });
      const events = text.split('\n\n').filter((e) => e.includes('event: log'));
      expect(events).toHaveLength(1);
      const data = JSON.parse(events[0].split('\n').find((l) => l.startsWith('data: '))!.slice(6));
      expect(data).toMatchObject({ message: 'tail me', level: 'warn', service: 'notification', correlationId });
    } finally {
      request.destroy();
      await replica.app.close();
    }
    await service.http.get('/api/logs/tail').set(serviceToken).expect(403);
  });

  it('keeps every domain event in the event log, queryable by routing key, correlation id and time', async () => {
    const correlationId = randomUUID();
    const before = new Date(Date.now() - 1000).toISOString();
    const messageId = await probe.publish(
      RoutingKey.NotificationRequested,
      { channel: 'email', recipient: 'jana@example.com', template: 'acknowledgement', data: { name: 'Jana' } },
      { correlationId },
    );
    const page = await waitFor(async () => {
      const res = await service.http.get('/api/events').query({ correlationId }).set(operator).expect(200);
      return res.body.items.length === 1 && res.body;
    }, { what: 'the event in the event log', timeoutMs: 10_000 });
    expect(page.items[0]).toMatchObject({ messageId, routingKey: RoutingKey.NotificationRequested, correlationId, source: 'test-probe', payload: { template: 'acknowledgement' } });
    expect((await service.http.get('/api/events').query({ routingKey: RoutingKey.NotificationRequested, from: before }).set(operator)).body.items.map((e: any) => e.messageId)).toContain(messageId);
    expect((await service.http.get('/api/events').query({ routingKey: RoutingKey.UserDeleted, correlationId }).set(operator)).body.items).toEqual([]);
    expect((await service.http.get('/api/events').query({ correlationId, to: before }).set(operator)).body.items).toEqual([]);
    // A redelivery is stored once.
    await probe.publish(RoutingKey.NotificationRequested, { channel: 'email', recipient: 'jana@example.com', template: 'acknowledgement', data: {} }, { correlationId, messageId });
    const marker = randomUUID();
    await probe.publish(RoutingKey.NotificationRequested, { channel: 'email', recipient: 'x@example.com', template: 'acknowledgement', data: {} }, { correlationId: marker });
    await waitFor(async () => (await service.http.get('/api/events').query({ correlationId: marker }).set(operator)).body.items.length === 1, { what: 'a later event' });
    expect((await service.http.get('/api/events').query({ correlationId }).set(operator)).body.items).toHaveLength(1);
    await service.http.get('/api/events').query({ routingKey: 'not a key!' }).set(operator).expect(400);
  });

  it('stores a lead journey’s own message in one statement; an account’s waits on its erasure in a transaction', async () => {
    const counter = new PgStatementCounter();
    counter.labelCalls(EventLogService.prototype, 'record', (event: { correlationId: string }) => event.correlationId);
    try {
      const submissionId = randomUUID();
      const userId = randomUUID();
      const sent = { notificationId: randomUUID(), channel: 'email', template: 'acknowledgement', recipient: 'jana@example.com', providerMessageId: '<m@x>', sentAt: new Date().toISOString() };
      await probe.publish(RoutingKey.NotificationSent, { ...sent, correlationId: submissionId, journey: true }, { correlationId: submissionId });
      await probe.publish(RoutingKey.NotificationSent, { ...sent, notificationId: randomUUID(), template: 'verify-email', correlationId: userId, journey: false }, { correlationId: userId });
      for (const id of [submissionId, userId]) {
        await waitFor(async () => (await service.http.get('/api/events').query({ correlationId: id }).set(operator)).body.items.length === 1, { what: `the event of ${id}` });
      }
      expect(counter.of(submissionId)).toEqual([expect.stringContaining('INSERT INTO domain_events')]);
      expect(counter.of(userId)).toEqual(expect.arrayContaining([expect.stringContaining('pg_advisory_xact_lock_shared'), expect.stringContaining('FROM erased_accounts'), expect.stringContaining('INSERT INTO domain_events')]));
    } finally {
      counter.restore();
    }
  });

  it('tells one lead’s whole story: events, status changes, notification attempts, workflow steps and log lines from four services, in order', async () => {
    const submissionId = randomUUID();
    const workflowId = randomUUID();
    const notificationId = randomUUID();
    const tick = () => new Promise((r) => setTimeout(r, 15));
    const now = () => new Date().toISOString();

    // As the services would: submission logs while handling the form (its request has another correlation id) and publishes request.created…
    await post([{ time: now(), level: 'info', service: 'submission', message: 'Submission received', correlationId: randomUUID(), submissionId, attachments: 0 }]).expect(202);
    await tick();
    await publishAs('submission', RoutingKey.RequestCreated, { submissionId, name: 'Jana', email: 'jana@example.com', message: 'An e-shop, please', contactChannel: 'email', attachments: [], createdAt: now() }, submissionId);
    await tick();
    await publishAs('ai-orchestrator', RoutingKey.AiAnalysisStarted, { workflowId, submissionId, run: 1, startedAt: now() }, submissionId);
    await tick();
    // …ai-worker logs each step inside the workflow's message context…
    await post([{ time: now(), level: 'info', service: 'ai-worker', message: 'Classified the request', correlationId: submissionId, step: 'classify' }]).expect(202);
    await tick();
    await publishAs('ai-orchestrator', RoutingKey.AiAnalysisCompleted, {
      workflowId, submissionId, run: 1, summary: 'An e-shop', category: 'e-commerce', confidence: 0.9, entities: {}, proposal: 'Shopify', completedAt: now(),
    }, submissionId);
    await tick();
    await publishAs('notification', RoutingKey.NotificationFailed, {
      notificationId, correlationId: submissionId, channel: 'email', template: 'analysis-results', recipient: 'jana@example.com', journey: true, reason: 'SMTP 451', failedAt: now(),
    }, submissionId);
    await tick();
    await post([{ time: now(), level: 'warn', service: 'notification', message: 'Retrying by the fallback channel', correlationId: submissionId, notificationId }]).expect(202);
    await tick();
    await publishAs('notification', RoutingKey.NotificationSent, {
      notificationId, correlationId: submissionId, channel: 'email', template: 'analysis-results', recipient: 'jana@example.com', journey: true, sentAt: now(),
    }, submissionId);
    // Not this lead's.
    await post([{ time: now(), level: 'info', service: 'submission', message: 'Someone else', correlationId: randomUUID() }]).expect(202);

    const timeline = await waitFor(async () => {
      const res = await service.http.get(`/api/leads/${submissionId}/timeline`).set(operator);
      return res.status === 200 && res.body.entries.filter((e: any) => e.kind === 'event').length === 5 && res.body;
    }, { what: 'the five events in the timeline', timeoutMs: 10_000 });

    expect(timeline.submissionId).toBe(submissionId);
    const story = timeline.entries.map((e: any) => `${e.service} ${e.kind} ${e.summary}`);
    expect(story).toEqual([
      'submission log Submission received',
      'submission event request.created',
      'submission status received',
      'ai-orchestrator event ai.analysis.started',
      `ai-orchestrator step analysis started, workflow ${workflowId} (run 1)`,
      'ai-orchestrator status analyzing',
      'ai-worker step Classified the request',
      'ai-orchestrator event ai.analysis.completed',
      'ai-orchestrator step analysis completed: e-commerce (90%) (run 1)',
      'ai-orchestrator status analyzed',
      'notification event notification.failed',
      'notification notification analysis-results by email failed: SMTP 451',
      'notification status answer_failed',
      'notification notification Retrying by the fallback channel',
      'notification event notification.sent',
      'notification notification analysis-results by email sent',
      'notification status answered',
    ]);
    const times = timeline.entries.map((e: any) => e.at);
    expect([...times].sort()).toEqual(times);
    expect(new Set(timeline.entries.map((e: any) => e.service)).size).toBeGreaterThanOrEqual(4);

    await service.http.get(`/api/leads/${randomUUID()}/timeline`).set(operator).expect(404);
    expect((await service.http.get('/api/leads/not-a-uuid/timeline').set(operator).expect(400)).body.message).toContain('UUID');
    await service.http.get(`/api/leads/${submissionId}/timeline`).set(bearer(await auth.mint({ roles: ['client'] }))).expect(403);
  });

  it('drops the partitions older than LOG_RETENTION_DAYS, creates them ahead, and refuses lines past the retention', async () => {
    const database = `${namespace}_logging`;
    const oldDay = dayOf(new Date(Date.now() - 30 * DAY_MS));
    const keptDay = dayOf(new Date(Date.now() - 6 * DAY_MS));
    for (const day of [oldDay, keptDay]) {
      const from = `${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6)}T00:00:00Z`;
      await queryDatabase(database, `CREATE TABLE ${partitionName(day)} PARTITION OF log_lines FOR VALUES FROM ('${from}') TO ('${from}'::timestamptz + interval '1 day')`);
      await queryDatabase(database, `INSERT INTO log_lines (time, service, level, message) VALUES ('${from}'::timestamptz + interval '1 hour', 'submission', 'info', 'old line')`);
    }
    const dropped = await service.app.get(LogPartitions).maintain();
    expect(dropped).toEqual([oldDay]);
    const tables = (await queryDatabase<{ name: string }>(database, `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'log_lines'::regclass`)).map((r) => r.name);
    expect(tables).not.toContain(partitionName(oldDay));
    expect(tables).toContain(partitionName(keptDay));
    for (let d = 0; d <= 3; d++) expect(tables).toContain(partitionName(dayOf(new Date(Date.now() + d * DAY_MS))));
    expect(await queryDatabase(database, `SELECT 1 FROM log_lines WHERE message = 'old line'`)).toHaveLength(1);

    const res = await post([{ time: new Date(Date.now() - 20 * DAY_MS).toISOString(), message: 'too old' }]).expect(202);
    expect(res.body).toEqual({ accepted: 0, discarded: 1 });
  });

  it('keeps secrets out of the store: redacted at the source, and scrubbed again on ingest', async () => {
    // At the source: the redaction every service's logger uses.
    const written: string[] = [];
    const sink = new Writable({ write: (chunk, _e, done) => (written.push(chunk.toString()), done()) });
    const logger = pino({ hooks: { streamWrite: redactLogLine } }, sink);
    logger.info({ req: { headers: { authorization: 'Bearer abc.def.ghi', cookie: 'sid=s3cret' } }, password: 'hunter2', user: { token: 'tok-123', name: 'Jana' }, body: { account: { refreshToken: 'rt-1' } } }, 'signing in');
    const sourced = written.join('');
    for (const secret of ['abc.def.ghi', 's3cret', 'hunter2', 'tok-123', 'rt-1']) expect(sourced).not.toContain(secret);
    expect(sourced).toContain('Jana');

    // On ingest, whatever a client sends.
    const correlationId = randomUUID();
    const jwt = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLWJ5dGVz';
    await post([
      {
        message: `Calling with Authorization: Bearer ${jwt} and password=hunter2 for https://bob:pa55word@example.com/x?token=tok-999&page=2`,
        correlationId,
        headers: { Authorization: 'Basic Ym9iOnBhc3M=', Cookie: 'sid=abc', 'x-request-id': 'kept' },
        user: { password: 'hunter2', apiKey: 'k-1', name: 'Jana' },
        url: '/reset?token=tok-777',
      },
    ]).expect(202);
    const stored = await waitFor(async () => (await logs({ correlationId })).body.items[0], { what: 'the scrubbed line' });
    const text = JSON.stringify(stored);
    for (const secret of [jwt, 'hunter2', 'pa55word', 'tok-999', 'Ym9iOnBhc3M=', 'sid=abc', 'k-1', 'tok-777']) expect({ secret, stored: text.includes(secret) }).toEqual({ secret, stored: false });
    expect(stored.fields.user.name).toBe('Jana');
    expect(stored.fields.headers['x-request-id']).toBe('kept');
    expect(stored.message).toContain('page=2');
    const rows = await queryDatabase<{ fields: unknown; message: string }>(`${namespace}_logging`, `SELECT fields, message FROM log_lines WHERE correlation_id = $1`, [correlationId]);
    expect(JSON.stringify(rows)).not.toContain('hunter2');
  });
});

/** LOG_SINK=elasticsearch: the same lines also go to Elasticsearch's bulk API (a stand-in speaking its wire format). */
describe('logging: the Elasticsearch sink', () => {
  const namespace = uniqueNamespace('loges');
  const auth = new AuthStandIn();
  const bulks: string[] = [];
  let failNext = false;
  let elasticsearch: Server;
  let service: ServiceUnderTest;

  beforeAll(async () => {
    await auth.start();
    elasticsearch = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        if (req.method !== 'POST' || req.url !== '/_bulk' || req.headers['content-type'] !== NDJSON) return res.writeHead(400).end();
        if (failNext) {
          failNext = false;
          return res.writeHead(503).end('{"error":"unavailable"}');
        }
        bulks.push(body);
        const items = body.trim().split('\n').filter((_, i) => i % 2 === 0).map(() => ({ index: { status: 201 } }));
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ took: 1, errors: false, items }));
      });
    });
    await new Promise<void>((done) => elasticsearch.listen(0, '127.0.0.1', done));
    const url = `http://127.0.0.1:${(elasticsearch.address() as AddressInfo).port}`;
    service = await startServiceForTest(loggingService, testEnv(LoggingEnv, namespace, { ...auth.env, LOG_SINK: 'elasticsearch', ELASTICSEARCH_URL: url }));
  });

  afterAll(async () => {
    await service?.app.close();
    await auth.stop();
    await new Promise((done) => elasticsearch.close(done));
    const probe = await new BrokerProbe(namespace).start();
    await deleteLogTopology(namespace);
    await probe.cleanup(['logging']);
    await probe.stop();
    await removeTestNamespace(namespace);
  });

  it('bulk-indexes lines into the daily index, and keeps the PostgreSQL copy when Elasticsearch fails', async () => {
    const correlationId = randomUUID();
    const token = bearer(await auth.mint({ roles: ['service'], sub: 'service:website' }));
    const time = new Date().toISOString();
    await service.http.post('/api/logs').set(token).set('content-type', NDJSON).send(ndjson([{ time, level: 'info', service: 'website', message: 'to both', correlationId, password: 'hunter2' }])).expect(202);
    expect(bulks).toHaveLength(1);
    const [action, doc] = bulks[0].trim().split('\n').map((l) => JSON.parse(l));
    expect(action).toEqual({ index: { _index: `statex-logs-${time.slice(0, 10).replace(/-/g, '.')}` } });
    expect(doc).toMatchObject({ '@timestamp': time, service: 'website', level: 'info', message: 'to both', correlationId, fields: { password: '[Redacted]' } });

    failNext = true;
    await service.http.post('/api/logs').set(token).set('content-type', NDJSON).send(ndjson([{ message: 'postgres only', correlationId }])).expect(202);
    const operator = bearer(await auth.mint({ roles: ['operator'] }));
    const page = await service.http.get('/api/logs').query({ correlationId }).set(operator).expect(200);
    expect(page.body.items.map((i: any) => i.message)).toEqual(['postgres only', 'to both']);
    expect((await service.http.get('/metrics')).text).toMatch(/statex_log_sink_failures_total\{[^}]*sink="elasticsearch"[^}]*\} 1/);
  });
});
