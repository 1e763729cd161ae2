import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { RoutingKey } from '@statex/contracts';
import { databaseNameFor } from '@statex/persistence';
import { StorageDriver } from '@statex/storage';
import { BrokerProbe, dropDatabases, fixtures, queryDatabase, ServiceUnderTest, startServiceForTest, testEnv, uniqueNamespace, waitFor } from '@statex/testing';
import { submissionService } from '../src/submission.app';
import { SubmissionEnv } from '../src/submission.env';

const lead = { name: 'Jana Nováková', email: 'jana@example.com', message: 'We need a new e-shop with payment integration.' };

describe('submission service (real PostgreSQL and RabbitMQ)', () => {
  const namespace = uniqueNamespace('sub');
  const storageDir = mkdtempSync(join(tmpdir(), 'statex-attachments-'));
  const env = testEnv(SubmissionEnv, namespace, { STORAGE_LOCAL_DIR: storageDir, ATTACHMENT_MAX_BYTES: 64 * 1024, SUBMISSION_PUBLIC_URL: 'http://forms.example.test' });
  const probe = new BrokerProbe(namespace);
  const database = databaseNameFor(env, 'submission');
  let service: ServiceUnderTest;
  let http: ReturnType<typeof request>;

  beforeAll(async () => {
    await probe.start();
    service = await startServiceForTest(submissionService, env);
    http = service.http;
  });

  afterAll(async () => {
    await service?.app.close();
    await dropDatabases(`${namespace}_`);
    await probe.cleanup(['submission']);
    await probe.stop();
  });

  it('accepts a JSON form with 202, stores it and publishes request.created', async () => {
    const res = await http.post('/api/submissions').send({ ...lead, company: 'Acme s.r.o.' }).expect(202);
    expect(res.body).toEqual({ id: expect.any(String), status: 'received', statusUrl: `http://forms.example.test/api/submissions/${res.body.id}` });

    const event = await probe.waitForEvent(RoutingKey.RequestCreated, (m) => m.payload.submissionId === res.body.id);
    expect(event.payload).toMatchObject({ ...lead, company: 'Acme s.r.o.', contactChannel: 'email', attachments: [] });
    expect(event.message.properties).toMatchObject({ correlationId: res.body.id, appId: 'submission', type: 'request.created' });
    expect(event.message.properties.messageId).toEqual(expect.any(String));

    const view = await http.get(`/api/submissions/${res.body.id}`).expect(200);
    expect(view.body).toMatchObject({ id: res.body.id, status: 'received', ...lead, contactChannel: 'email', attachments: [] });
    expect(view.body.timeline).toEqual([{ status: 'received', at: expect.any(String) }]);
  });

  it('accepts multipart with attachments typed by their content, stored under generated names', async () => {
    const res = await http
      .post('/api/submissions')
      .field('name', lead.name)
      .field('email', lead.email)
      .field('message', lead.message)
      .field('contactChannel', 'telegram')
      .field('telegramChatId', '123456789')
      .attach('attachments', fixtures.pdf(), { filename: 'brief.pdf', contentType: 'application/octet-stream' })
      .attach('attachments', fixtures.png(), { filename: 'logo.png', contentType: 'image/png' })
      .attach('attachments', fixtures.docx(), { filename: 'spec.docx', contentType: 'application/octet-stream' })
      .attach('attachments', fixtures.txt(), { filename: 'notes.txt', contentType: 'text/plain' })
      .attach('attachments', fixtures.jpeg(), { filename: 'photo.bin', contentType: 'application/octet-stream' })
      .expect(202);
    const view = await http.get(`/api/submissions/${res.body.id}`).expect(200);
    expect(view.body.contactChannel).toBe('telegram');
    const byName = Object.fromEntries(view.body.attachments.map((a: { fileName: string; contentType: string }) => [a.fileName, a.contentType]));
    expect(byName).toEqual({
      'brief.pdf': 'application/pdf',
      'logo.png': 'image/png',
      'spec.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      'notes.txt': 'text/plain',
      'photo.bin': 'image/jpeg',
    });
    const stored = readdirSync(join(storageDir, 'submissions', res.body.id));
    expect(stored.sort()).toEqual(view.body.attachments.map((a: { id: string }) => a.id).sort());
    const event = await probe.waitForEvent(RoutingKey.RequestCreated, (m) => m.payload.submissionId === res.body.id);
    expect(event.payload.attachments).toHaveLength(5);
  });

  it('answers 400 naming each missing, invalid or unknown field', async () => {
    const res = await http.post('/api/submissions').send({ email: 'not-an-email', message: 'x'.repeat(10_001), contactChannel: 'fax', foo: 1 }).expect(400);
    const fields = res.body.errors.map((e: { field: string }) => e.field).sort();
    expect(fields).toEqual(['contactChannel', 'email', 'foo', 'message', 'name']);
    expect(res.body.message).toContain('email must be a valid email address');
    expect(res.body.message).toContain('property foo should not exist');
  });

  it('requires the contact field of the chosen channel', async () => {
    const res = await http.post('/api/submissions').send({ ...lead, contactChannel: 'whatsapp' }).expect(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['phone']);
    await http.post('/api/submissions').send({ ...lead, contactChannel: 'linkedin', linkedinUrl: 'https://evil.example.com/in/x' }).expect(400);
    const company = await http.post('/api/submissions').send({ ...lead, contactChannel: 'linkedin', linkedinUrl: 'https://www.linkedin.com/company/acme' }).expect(400);
    expect(company.body.message).toContain('linkedinUrl must be a https://www.linkedin.com/in/… profile URL');
    await http.post('/api/submissions').send({ ...lead, contactChannel: 'linkedin', linkedinUrl: 'https://www.linkedin.com/in/jana/?originalSubdomain=cz' }).expect(202);
    await http.post('/api/submissions').send({ ...lead, contactChannel: 'whatsapp', phone: '+420601123456' }).expect(202);
  });

  it('refuses an unknown field in a multipart form too', async () => {
    const res = await http.post('/api/submissions').field('name', 'A').field('email', 'a@example.com').field('message', 'hi').field('admin', 'true').expect(400);
    expect(res.body.errors).toEqual([{ field: 'admin', messages: ['property admin should not exist'] }]);
  });

  it('answers 400 for malformed JSON and 415 for a body that is neither JSON nor a form', async () => {
    await http.post('/api/submissions').set('content-type', 'application/json').send('{"name":').expect(400);
    const nul = await http.post('/api/submissions').send({ ...lead, message: 'hello\u0000world' }).expect(400);
    expect(nul.body.errors).toEqual([{ field: 'message', messages: ['message must not contain NUL (\\u0000) characters'] }]);
    const noBoundary = await http.post('/api/submissions').set('content-type', 'multipart/form-data').send('--x\r\n').expect(400);
    expect(noBoundary.body.message).toContain('multipart');
    const cutShort = await http
      .post('/api/submissions')
      .set('content-type', 'multipart/form-data; boundary=xyz')
      .send('--xyz\r\nContent-Disposition: form-data; name="name"\r\n\r\nJana\r\n--xyz\r\nContent-Disposition: form-data; name="attachments"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nhello');
    expect(cutShort.status).toBe(400);
    const res = await http.post('/api/submissions').set('content-type', 'text/plain').send('hello').expect(415);
    expect(res.body.message).toContain('application/json or multipart/form-data');
  });

  it('answers 413 for an oversized file and stores nothing', async () => {
    const before = await queryDatabase(database, 'SELECT count(*)::int AS n FROM submissions');
    const res = await http
      .post('/api/submissions')
      .field('name', lead.name)
      .field('email', lead.email)
      .field('message', lead.message)
      .attach('attachments', Buffer.concat([fixtures.pdf(), Buffer.alloc(65 * 1024, 0x20)]), 'huge.pdf')
      .expect(413);
    expect(res.body.message).toContain('huge.pdf');
    expect(await queryDatabase(database, 'SELECT count(*)::int AS n FROM submissions')).toEqual(before);
  });

  it('answers 413 for more than 5 files', async () => {
    let req = http.post('/api/submissions').field('name', lead.name).field('email', lead.email).field('message', lead.message);
    for (let i = 0; i < 6; i++) req = req.attach('attachments', fixtures.txt(`file ${i}`), `f${i}.txt`);
    const res = await req.expect(413);
    expect(res.body.message).toContain('At most 5 attachments');
  });

  it('answers 415 for a refused type, whatever its name says', async () => {
    const res = await http
      .post('/api/submissions')
      .field('name', lead.name)
      .field('email', lead.email)
      .field('message', lead.message)
      .attach('attachments', fixtures.executable(), { filename: 'invoice.pdf', contentType: 'application/pdf' })
      .expect(415);
    expect(res.body.message).toContain('invoice.pdf');
  });

  it('answers 404 for an unknown id and 400 for an id that is not a UUID', async () => {
    const missing = randomUUID();
    const res = await http.get(`/api/submissions/${missing}`).expect(404);
    expect(res.body.message).toBe(`Submission ${missing} not found`);
    await http.get('/api/submissions/42').expect(400);
  });

  it('replays the first response for a retried POST with the same Idempotency-Key', async () => {
    const key = randomUUID();
    const first = await http.post('/api/submissions').set('Idempotency-Key', key).send(lead).expect(202);
    const again = await http.post('/api/submissions').set('Idempotency-Key', key).send(lead).expect(202);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const concurrent = await Promise.all(Array.from({ length: 5 }, () => http.post('/api/submissions').set('Idempotency-Key', `${key}-c`).send(lead)));
    expect(new Set(concurrent.map((r) => r.status))).toEqual(new Set([202]));
    expect(new Set(concurrent.map((r) => r.body.id)).size).toBe(1);
    const rows = await queryDatabase(database, 'SELECT id FROM submissions WHERE id = ANY($1)', [[first.body.id, concurrent[0].body.id]]);
    expect(rows).toHaveLength(2);
    const conflict = await http.post('/api/submissions').set('Idempotency-Key', key).send({ ...lead, message: 'something else' }).expect(422);
    expect(conflict.body.message).toContain('different request');
  });

  it('moves to acknowledged on notification.sent, once, even when the event is redelivered', async () => {
    const { body } = await http.post('/api/submissions').send(lead).expect(202);
    const sent = { notificationId: randomUUID(), correlationId: body.id, channel: 'email', template: 'acknowledgement', recipient: lead.email, sentAt: new Date().toISOString() };
    const messageId = randomUUID();
    await probe.publish(RoutingKey.NotificationSent, sent, { messageId, correlationId: body.id });
    await waitFor(async () => (await http.get(`/api/submissions/${body.id}`)).body.status === 'acknowledged', { what: 'acknowledged' });
    await probe.publish(RoutingKey.NotificationSent, sent, { messageId, correlationId: body.id });
    const marker = await http.post('/api/submissions').send(lead).expect(202);
    await probe.publish(RoutingKey.NotificationSent, { ...sent, correlationId: marker.body.id }, { correlationId: marker.body.id });
    await waitFor(async () => (await http.get(`/api/submissions/${marker.body.id}`)).body.status === 'acknowledged', { what: 'the marker acknowledged' });
    const view = await http.get(`/api/submissions/${body.id}`).expect(200);
    expect(view.body.timeline.map((t: { status: string }) => t.status)).toEqual(['received', 'acknowledged']);
    expect(view.body.timeline[1].note).toBe(`email to ${lead.email}`);
  });

  it('records a failed acknowledgement in the timeline', async () => {
    const { body } = await http.post('/api/submissions').send(lead).expect(202);
    const failed = { notificationId: randomUUID(), correlationId: body.id, channel: 'email', template: 'acknowledgement', recipient: lead.email, reason: '550 Mailbox unavailable', failedAt: new Date().toISOString() };
    await probe.publish(RoutingKey.NotificationFailed, failed, { correlationId: body.id });
    const view = await waitFor(async () => {
      const res = await http.get(`/api/submissions/${body.id}`);
      return res.body.status === 'acknowledgement_failed' && res.body;
    }, { what: 'acknowledgement_failed' });
    expect(view.timeline[1].note).toContain('550 Mailbox unavailable');
  });

  it('follows the analysis: analyzing, then analyzed with the analysis shown; a late acknowledgement never moves it back', async () => {
    const { body } = await http.post('/api/submissions').send(lead).expect(202);
    const workflowId = randomUUID();
    await probe.publish(RoutingKey.AiAnalysisStarted, { workflowId, submissionId: body.id, startedAt: new Date().toISOString() }, { correlationId: body.id });
    await waitFor(async () => (await http.get(`/api/submissions/${body.id}`)).body.status === 'analyzing', { what: 'analyzing' });
    const completed = { workflowId, submissionId: body.id, summary: 'An e-shop with payments.', category: 'e-commerce', confidence: 0.87, entities: { money: [] }, proposal: 'A proposal.', completedAt: new Date().toISOString() };
    await probe.publish(RoutingKey.AiAnalysisCompleted, completed, { correlationId: body.id });
    await waitFor(async () => (await http.get(`/api/submissions/${body.id}`)).body.status === 'analyzed', { what: 'analyzed' });
    await probe.publish(RoutingKey.NotificationSent, { notificationId: randomUUID(), correlationId: body.id, channel: 'email', template: 'acknowledgement', recipient: lead.email, sentAt: new Date().toISOString() }, { correlationId: body.id });
    const view = await waitFor(async () => {
      const res = await http.get(`/api/submissions/${body.id}`);
      return res.body.timeline.length === 4 && res.body;
    }, { what: 'four timeline entries' });
    expect(view.status).toBe('analyzed');
    expect(view.analysis).toMatchObject({ workflowId, summary: 'An e-shop with payments.', category: 'e-commerce', confidence: 0.87, proposal: 'A proposal.' });
    expect(view.timeline.map((t: { status: string }) => t.status)).toEqual(['received', 'analyzing', 'analyzed', 'acknowledged']);
    expect(view.timeline[2].note).toBe('e-commerce (87%)');

    // The results message reached the lead: answered. A failed one is recorded and moves nothing back.
    await probe.publish(RoutingKey.NotificationFailed, { notificationId: randomUUID(), correlationId: body.id, channel: 'telegram', template: 'analysis-results', recipient: '1', reason: 'blocked', failedAt: new Date().toISOString() }, { correlationId: body.id });
    await probe.publish(RoutingKey.NotificationSent, { notificationId: randomUUID(), correlationId: body.id, channel: 'email', template: 'analysis-results', recipient: lead.email, sentAt: new Date().toISOString() }, { correlationId: body.id });
    const answered = await waitFor(async () => {
      const res = await http.get(`/api/submissions/${body.id}`);
      return res.body.timeline.length === 6 && res.body;
    }, { what: 'six timeline entries' });
    expect(answered.status).toBe('answered');
    expect(answered.timeline.map((t: { status: string }) => t.status).slice(4).sort()).toEqual(['answer_failed', 'answered']);
  });

  it('serves health, metrics and the OpenAPI document', async () => {
    const ready = await http.get('/health/ready').expect(200);
    expect(ready.body.details).toMatchObject({ database: { status: 'up' }, rabbitmq: { status: 'up' } });
    await http.get('/health/live').expect(200);
    const metrics = await http.get('/metrics').expect(200);
    expect(metrics.text).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/api\/submissions"[^}]*status_code="202"/);
    expect(metrics.text).toContain('statex_messages_published_total');
    expect(metrics.text).toContain('process_cpu_seconds_total');
    const spec = await http.get('/docs-json').expect(200);
    expect(spec.body.openapi).toMatch(/^3\./);
    expect(Object.keys(spec.body.paths)).toEqual(expect.arrayContaining(['/api/submissions', '/api/submissions/{id}', '/health/ready']));
    await http.get('/docs').expect((res) => expect([200, 301, 302]).toContain(res.status));
    expect(existsSync(storageDir)).toBe(true);
  });
});

describe('submission service with S3-compatible storage (s3rver)', () => {
  const namespace = uniqueNamespace('sub3');
  let s3rver: { run(): Promise<import('node:net').AddressInfo>; close(): Promise<void> };
  let service: ServiceUnderTest;

  beforeAll(async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const S3rver = require('s3rver');
    s3rver = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: mkdtempSync(join(tmpdir(), 's3rver-')) });
    const { port } = await s3rver.run();
    const env = testEnv(SubmissionEnv, namespace, {
      STORAGE_DRIVER: 's3',
      S3_ENDPOINT: `http://127.0.0.1:${port}`,
      S3_BUCKET: 'leads',
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
    });
    service = await startServiceForTest(submissionService, env, { consume: false });
  });

  afterAll(async () => {
    await service?.app.close();
    await s3rver?.close();
    await dropDatabases(`${namespace}_`);
    const probe = await new BrokerProbe(namespace).start();
    await probe.cleanup(['submission']);
    await probe.stop();
  });

  it('stores attachments as objects in the bucket under generated keys', async () => {
    const res = await service.http
      .post('/api/submissions')
      .field('name', lead.name)
      .field('email', lead.email)
      .field('message', lead.message)
      .attach('attachments', fixtures.pdf(), 'brief.pdf')
      .expect(202);
    const view = await service.http.get(`/api/submissions/${res.body.id}`).expect(200);
    const [attachment] = view.body.attachments;
    const storage = service.app.get(StorageDriver);
    expect(storage.kind).toBe('s3');
    const chunks: Buffer[] = [];
    for await (const chunk of await storage.get(`submissions/${res.body.id}/${attachment.id}`)) chunks.push(Buffer.from(chunk));
    expect(Buffer.concat(chunks).equals(fixtures.pdf())).toBe(true);
  });
});
