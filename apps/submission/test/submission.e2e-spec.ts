import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { RoutingKey } from '@statex/contracts';
import { databaseNameFor } from '@statex/persistence';
import { StorageDriver } from '@statex/storage';
import { AuthStandIn, bearer, BrokerProbe, removeTestNamespace, fixtures, queryDatabase, ServiceUnderTest, startServiceForTest, testEnv, uniqueNamespace, waitFor } from '@statex/testing';
import { submissionService } from '../src/submission.app';
import { SubmissionEnv } from '../src/submission.env';

const lead = { name: 'Jana Nováková', email: 'jana@example.com', message: 'We need a new e-shop with payment integration.' };
const PERSONAL = ['name', 'email', 'phone', 'company', 'message'];
const UNREACHABLE = 'We could not reach you on your channel; our team has been told.';
const ANALYSIS_UNFINISHED = 'The automatic analysis did not finish; our team will look at your request.';

/** How many messages of a routing key the service has handled and acknowledged (from /metrics). */
async function consumedCount(http: ReturnType<typeof request>, routingKey: string): Promise<number> {
  const { text } = await http.get('/metrics').expect(200);
  return [...text.matchAll(/^statex_messages_consumed_total\{([^}]*)\} (\d+)/gm)]
    .filter(([, labels]) => labels.includes(`routing_key="${routingKey}"`))
    .reduce((sum, [, , count]) => sum + Number(count), 0);
}

describe('submission service (real PostgreSQL and RabbitMQ)', () => {
  const namespace = uniqueNamespace('sub');
  const storageDir = mkdtempSync(join(tmpdir(), 'statex-attachments-'));
  const probe = new BrokerProbe(namespace);
  const auth = new AuthStandIn();
  let env: SubmissionEnv;
  let database: string;
  let service: ServiceUnderTest;
  let http: ReturnType<typeof request>;
  let staff: string;
  /** Every event the tests publish, by routing key, and what the service had handled before: see `allHandled`. */
  const published = new Map<string, number>();
  const baseline = new Map<string, number>();

  /** Publishes an event to the service and keeps count of it. */
  const publish = async (routingKey: string, payload: unknown, options: { messageId?: string; correlationId?: string } = {}) => {
    published.set(routingKey, (published.get(routingKey) ?? 0) + 1);
    return probe.publish(routingKey, payload, options);
  };

  /** Resolves once the service has handled (and acknowledged) every event published so far: the proof an ignored one was seen. */
  const allHandled = () =>
    waitFor(
      async () => {
        for (const [routingKey, count] of published) {
          if ((await consumedCount(http, routingKey)) - (baseline.get(routingKey) ?? 0) < count) return false;
        }
        return true;
      },
      { what: 'every published event handled' },
    );

  beforeAll(async () => {
    await Promise.all([probe.start(), auth.start()]);
    env = testEnv(SubmissionEnv, namespace, { STORAGE_LOCAL_DIR: storageDir, ATTACHMENT_MAX_BYTES: 64 * 1024, SUBMISSION_PUBLIC_URL: 'http://forms.example.test', ...auth.env });
    database = databaseNameFor(env, 'submission');
    service = await startServiceForTest(submissionService, env);
    http = service.http;
    staff = await auth.mint({ roles: ['operator'], email: 'petra@statex.test' });
    for (const routingKey of [RoutingKey.NotificationSent, RoutingKey.NotificationFailed, RoutingKey.AiAnalysisStarted, RoutingKey.AiAnalysisCompleted, RoutingKey.AiAnalysisFailed]) {
      baseline.set(routingKey, await consumedCount(http, routingKey));
    }
  });

  afterAll(async () => {
    await service?.app.close();
    await removeTestNamespace(namespace);
    await probe.cleanup(['submission']);
    await probe.stop();
    await auth.stop();
  });

  it('accepts a JSON form with 202, stores it and publishes request.created', async () => {
    const res = await http.post('/api/submissions').send({ ...lead, company: 'Acme s.r.o.' }).expect(202);
    expect(res.body).toEqual({ id: expect.any(String), status: 'received', statusUrl: `http://forms.example.test/api/submissions/${res.body.id}` });

    const event = await probe.waitForEvent(RoutingKey.RequestCreated, (m) => m.payload.submissionId === res.body.id);
    expect(event.payload).toMatchObject({ ...lead, company: 'Acme s.r.o.', contactChannel: 'email', attachments: [] });
    expect(event.message.properties).toMatchObject({ correlationId: res.body.id, appId: 'submission', type: 'request.created' });
    expect(event.message.properties.messageId).toEqual(expect.any(String));

    const view = await http.get(`/api/submissions/${res.body.id}`).set(bearer(staff)).expect(200);
    expect(view.body).toMatchObject({ id: res.body.id, status: 'received', ...lead, company: 'Acme s.r.o.', contactChannel: 'email', attachments: [] });
    expect(view.body.timeline).toEqual([{ status: 'received', at: expect.any(String) }]);
    const anonymous = await http.get(`/api/submissions/${res.body.id}`).expect(200);
    expect(anonymous.body).toEqual({ id: res.body.id, status: 'received', contactChannel: 'email', locale: 'en', createdAt: view.body.createdAt, updatedAt: view.body.updatedAt, attachments: [], timeline: view.body.timeline });
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

  it('takes a message of many lines, but a name or company of one line only (no line breaks or controls), as JSON and as a form', async () => {
    await http.post('/api/submissions').send({ ...lead, message: 'Hello,\r\nwe need a shop.\n\tThanks' }).expect(202);
    const json = await http.post('/api/submissions').send({ ...lead, name: 'Jana\r\nBcc: all@example.com', company: 'Acme\u2028Ltd' }).expect(400);
    expect(json.body.errors).toEqual([
      { field: 'name', messages: ['name must be a single line without control characters'] },
      { field: 'company', messages: ['company must be a single line without control characters'] },
    ]);
    const form = await http.post('/api/submissions').field('name', 'Jana\nNováková').field('email', lead.email).field('message', 'hi\nthere').expect(400);
    expect(form.body.errors).toEqual([{ field: 'name', messages: ['name must be a single line without control characters'] }]);
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
    const sent = { notificationId: randomUUID(), correlationId: body.id, channel: 'email', template: 'acknowledgement', recipient: lead.email, sentAt: new Date().toISOString(), journey: true };
    const messageId = randomUUID();
    await publish(RoutingKey.NotificationSent, sent, { messageId, correlationId: body.id });
    await waitFor(async () => (await http.get(`/api/submissions/${body.id}`)).body.status === 'acknowledged', { what: 'acknowledged' });
    await publish(RoutingKey.NotificationSent, sent, { messageId, correlationId: body.id });
    const marker = await http.post('/api/submissions').send(lead).expect(202);
    await publish(RoutingKey.NotificationSent, { ...sent, correlationId: marker.body.id }, { correlationId: marker.body.id });
    await waitFor(async () => (await http.get(`/api/submissions/${marker.body.id}`)).body.status === 'acknowledged', { what: 'the marker acknowledged' });
    await allHandled();
    const view = await http.get(`/api/submissions/${body.id}`).set(bearer(staff)).expect(200);
    expect(view.body.timeline.map((t: { status: string }) => t.status)).toEqual(['received', 'acknowledged']);
    expect(view.body.timeline[1].note).toBe(`email to ${lead.email}`);
  });

  it('records a failed acknowledgement in the timeline', async () => {
    const { body } = await http.post('/api/submissions').send(lead).expect(202);
    const failed = { notificationId: randomUUID(), correlationId: body.id, channel: 'email', template: 'acknowledgement', recipient: lead.email, reason: '550 Mailbox unavailable', failedAt: new Date().toISOString(), journey: true };
    await publish(RoutingKey.NotificationFailed, failed, { correlationId: body.id });
    const view = await waitFor(async () => {
      const res = await http.get(`/api/submissions/${body.id}`).set(bearer(staff));
      return res.body.status === 'acknowledgement_failed' && res.body;
    }, { what: 'acknowledgement_failed' });
    expect(view.timeline[1].note).toContain('550 Mailbox unavailable');
  });

  it('shows anyone without a staff token the status view: no personal data, and failures only as generic notes', async () => {
    const { body } = await http.post('/api/submissions').send({ ...lead, phone: '+420601123456', company: 'Acme s.r.o.' }).expect(202);
    const failedAt = new Date().toISOString();
    await publish(
      RoutingKey.NotificationFailed,
      { notificationId: randomUUID(), correlationId: body.id, channel: 'email', template: 'acknowledgement', recipient: lead.email, reason: 'smtp.internal.example:587 550 5.1.1 <jana@example.com> unknown', failedAt, journey: true },
      { correlationId: body.id },
    );
    await publish(RoutingKey.AiAnalysisFailed, { workflowId: randomUUID(), submissionId: body.id, reason: 'model llama-3 at http://10.0.0.7:11434 timed out', failedAt }, { correlationId: body.id });
    const full = await waitFor(async () => {
      const res = await http.get(`/api/submissions/${body.id}`).set(bearer(staff));
      return res.body.timeline.length === 3 && res.body;
    }, { what: 'both failures in the timeline' });
    expect(full).toMatchObject({ ...lead, phone: '+420601123456', company: 'Acme s.r.o.', status: 'analysis_failed' });
    const staffNotes = full.timeline.map((t: { note?: string }) => t.note ?? '').join(' | ');
    expect(staffNotes).toContain('smtp.internal.example');
    expect(staffNotes).toContain('llama-3');

    const callers = { anonymous: {}, 'a bad token': bearer('not-a-token'), 'another client': bearer(await auth.mint({ roles: ['client'], email: 'someone.else@example.com' })) };
    for (const [caller, headers] of Object.entries(callers)) {
      const res = await http.get(`/api/submissions/${body.id}`).set(headers).expect(200);
      for (const field of PERSONAL) expect({ caller, [field]: res.body[field] }).toEqual({ caller, [field]: undefined });
      expect(res.body).toMatchObject({ id: body.id, status: 'analysis_failed', contactChannel: 'email', locale: 'en', attachments: [] });
      const notes = Object.fromEntries(res.body.timeline.map((t: { status: string; note?: string }) => [t.status, t.note]));
      expect(notes).toEqual({ received: undefined, acknowledgement_failed: UNREACHABLE, analysis_failed: ANALYSIS_UNFINISHED });
      for (const secret of [lead.email, lead.name, '+420601123456', 'Acme', 'smtp.internal', 'llama', '10.0.0.7']) expect(JSON.stringify(res.body)).not.toContain(secret);
    }
  });

  it('follows the analysis: analyzing, then analyzed with the analysis shown; a late acknowledgement never moves it back', async () => {
    const { body } = await http.post('/api/submissions').send(lead).expect(202);
    const workflowId = randomUUID();
    await publish(RoutingKey.AiAnalysisStarted, { workflowId, submissionId: body.id, startedAt: new Date().toISOString() }, { correlationId: body.id });
    await waitFor(async () => (await http.get(`/api/submissions/${body.id}`)).body.status === 'analyzing', { what: 'analyzing' });
    const completed = { workflowId, submissionId: body.id, summary: 'An e-shop with payments.', category: 'e-commerce', confidence: 0.87, entities: { money: [] }, proposal: 'A proposal.', completedAt: new Date().toISOString() };
    await publish(RoutingKey.AiAnalysisCompleted, completed, { correlationId: body.id });
    await waitFor(async () => (await http.get(`/api/submissions/${body.id}`)).body.status === 'analyzed', { what: 'analyzed' });
    await publish(RoutingKey.NotificationSent, { notificationId: randomUUID(), correlationId: body.id, channel: 'email', template: 'acknowledgement', recipient: lead.email, sentAt: new Date().toISOString(), journey: true }, { correlationId: body.id });
    const view = await waitFor(async () => {
      const res = await http.get(`/api/submissions/${body.id}`).set(bearer(staff));
      return res.body.timeline.length === 4 && res.body;
    }, { what: 'four timeline entries' });
    expect(view.status).toBe('analyzed');
    expect(view.analysis).toMatchObject({ workflowId, summary: 'An e-shop with payments.', category: 'e-commerce', confidence: 0.87, proposal: 'A proposal.' });
    expect(view.timeline.map((t: { status: string }) => t.status)).toEqual(['received', 'analyzing', 'analyzed', 'acknowledged']);
    expect(view.timeline[2].note).toBe('e-commerce (87%)');
    // The status view shows what the lead was emailed of the analysis, not the entities extracted from the message.
    const anonymous = await http.get(`/api/submissions/${body.id}`).expect(200);
    expect(anonymous.body.analysis).toEqual({ category: 'e-commerce', confidence: 0.87, summary: 'An e-shop with payments.', proposal: 'A proposal.', completedAt: completed.completedAt });
    expect(anonymous.body.timeline.every((t: { note?: string }) => t.note === undefined)).toBe(true);

    // The results message reached the lead: answered. A failed one is recorded and moves nothing back.
    await publish(RoutingKey.NotificationFailed, { notificationId: randomUUID(), correlationId: body.id, channel: 'telegram', template: 'analysis-results', recipient: '1', reason: 'blocked', failedAt: new Date().toISOString(), journey: true }, { correlationId: body.id });
    await publish(RoutingKey.NotificationSent, { notificationId: randomUUID(), correlationId: body.id, channel: 'email', template: 'analysis-results', recipient: lead.email, sentAt: new Date().toISOString(), journey: true }, { correlationId: body.id });
    const answered = await waitFor(async () => {
      const res = await http.get(`/api/submissions/${body.id}`);
      return res.body.timeline.length === 6 && res.body;
    }, { what: 'six timeline entries' });
    expect(answered.status).toBe('answered');
    expect(answered.timeline.map((t: { status: string }) => t.status).slice(4).sort()).toEqual(['answer_failed', 'answered']);
  });

  it('shows a status and a timeline of the same moment, while status events land', async () => {
    const order = ['received', 'acknowledged', 'analyzing', 'analyzed', 'answered'];
    const ids = await Promise.all(Array.from({ length: 8 }, async () => (await http.post('/api/submissions').send(lead).expect(202)).body.id as string));
    let landing = true;
    let passes = 0;
    const seen: string[] = [];
    const mismatches: string[] = [];
    // Readers poll every lead while the events land: the status must be the furthest the timeline shows.
    const readers = Array.from({ length: 4 }, async () => {
      while (landing) {
        for (const id of ids) {
          const view = (await http.get(`/api/submissions/${id}`).expect(200)).body as { status: string; timeline: { status: string }[] };
          const furthest = view.timeline.map((t) => t.status).reduce((a, b) => (order.indexOf(b) > order.indexOf(a) ? b : a), 'received');
          seen.push(view.status);
          if (furthest !== view.status) mismatches.push(`${id}: status ${view.status}, timeline ${view.timeline.map((t) => t.status).join(',')}`);
        }
        passes += 1;
      }
    });
    // Every reader has read every lead once before the first event, and again after the last.
    await waitFor(() => passes >= 4, { what: 'the readers to start' });
    for (const id of ids) {
      const workflowId = randomUUID();
      const at = () => new Date().toISOString();
      await publish(RoutingKey.NotificationSent, { notificationId: randomUUID(), correlationId: id, channel: 'email', template: 'acknowledgement', recipient: lead.email, sentAt: at(), journey: true }, { correlationId: id });
      await publish(RoutingKey.AiAnalysisStarted, { workflowId, submissionId: id, startedAt: at() }, { correlationId: id });
      await publish(RoutingKey.AiAnalysisCompleted, { workflowId, submissionId: id, summary: 'S.', category: 'e-commerce', confidence: 0.9, entities: { money: [] }, proposal: 'P.', completedAt: at() }, { correlationId: id });
      await publish(RoutingKey.NotificationSent, { notificationId: randomUUID(), correlationId: id, channel: 'email', template: 'analysis-results', recipient: lead.email, sentAt: at(), journey: true }, { correlationId: id });
    }
    await waitFor(async () => {
      const views = await Promise.all(ids.map(async (id) => (await http.get(`/api/submissions/${id}`)).body.status as string));
      return views.every((status) => status === 'answered');
    }, { what: 'every lead answered' });
    const done = passes;
    await waitFor(() => passes >= done + 4, { what: 'the readers to read every answered lead' });
    landing = false;
    await Promise.all(readers);
    expect(seen).toEqual(expect.arrayContaining(['received', 'answered']));
    expect(mismatches).toEqual([]);
  });

  it('moves nothing on a lead’s message that is not the journey’s own (no journey flag), whatever its template and correlation id', async () => {
    const { body } = await http.post('/api/submissions').send(lead).expect(202);
    const base = { correlationId: body.id, channel: 'email', template: 'analysis-results', recipient: lead.email };
    await publish(RoutingKey.NotificationSent, { ...base, notificationId: randomUUID(), sentAt: new Date().toISOString() }, { correlationId: body.id });
    await publish(RoutingKey.NotificationFailed, { ...base, notificationId: randomUUID(), reason: 'bounced', failedAt: new Date().toISOString(), journey: false }, { correlationId: body.id });
    // The journey's own acknowledgement, published after them, does move it.
    await publish(RoutingKey.NotificationSent, { ...base, template: 'acknowledgement', notificationId: randomUUID(), sentAt: new Date().toISOString(), journey: true }, { correlationId: body.id });
    // Every one of them was handled and acknowledged by the service, not just still on its way.
    await allHandled();
    const view = await http.get(`/api/submissions/${body.id}`).set(bearer(staff)).expect(200);
    expect(view.body.status).toBe('acknowledged');
    expect(view.body.timeline.map((t: { status: string }) => t.status)).toEqual(['received', 'acknowledged']);
  });

  it('takes any number of forms from one address while SUBMISSION_RATE_LIMIT_PER_MINUTE is 0 (10 a minute by default)', async () => {
    expect(new SubmissionEnv().SUBMISSION_RATE_LIMIT_PER_MINUTE).toBe(10);
    expect(env.SUBMISSION_RATE_LIMIT_PER_MINUTE).toBe(0);
    for (let i = 0; i < 12; i++) await http.post('/api/submissions').send({ ...lead, email: 'often@example.com' }).expect(202);
  });

  describe('the list of submissions', () => {
    const tag = randomUUID().slice(0, 8);
    const ana = `ana.${tag}@example.com`;
    const leads = {
      a: { name: 'Ana Old', email: ana, company: 'Acme 100%_Shop', message: `An online shop, ref ${tag}.` },
      b: { name: 'Bob', email: `Bob.${tag}@Example.com`, message: `A mobile app, ref ${tag}.` },
      c: { name: 'Ana New', email: ana.toUpperCase(), message: `A second request, ref ${tag}.` },
    };
    const ids: Record<keyof typeof leads, string> = { a: '', b: '', c: '' };
    const names = (res: { body: { items: { id: string }[] } }) => res.body.items.map((i) => Object.entries(ids).find(([, id]) => id === i.id)?.[0] ?? i.id);

    beforeAll(async () => {
      // Created a minute apart (set in the database: the order is then certain), and b already analysed.
      for (const [i, key] of (['a', 'b', 'c'] as const).entries()) {
        ids[key] = (await http.post('/api/submissions').send(leads[key]).expect(202)).body.id;
        await queryDatabase(database, 'UPDATE submissions SET created_at = $2 WHERE id = $1', [ids[key], new Date(Date.UTC(2030, 0, 1, 0, i))]);
      }
      await queryDatabase(database, "UPDATE submissions SET status = 'analyzed' WHERE id = $1", [ids.b]);
    });

    it('needs a token with the role operator, admin or client', async () => {
      const res = await http.get('/api/submissions').expect(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      await http.get('/api/submissions').set(bearer(await auth.mint({ roles: ['service'] }))).expect(403);
    });

    it('shows staff every lead, newest first, filtered by text, email and status, page by page', async () => {
      const all = await http.get(`/api/submissions?q=${tag}`).set(bearer(staff)).expect(200);
      expect(names(all)).toEqual(['c', 'b', 'a']);
      expect(all.body).toMatchObject({ page: 1, pageSize: 20, total: 3 });
      expect(all.body.items[2]).toEqual({
        id: ids.a,
        status: 'received',
        name: 'Ana Old',
        email: ana,
        company: 'Acme 100%_Shop',
        contactChannel: 'email',
        locale: 'en',
        createdAt: '2030-01-01T00:00:00.000Z',
        updatedAt: expect.any(String),
      });

      const byEmail = await http.get('/api/submissions').query({ email: ` ${ana.toUpperCase()} ` }).set(bearer(staff)).expect(200);
      expect(names(byEmail)).toEqual(['c', 'a']);
      const byStatus = await http.get('/api/submissions').query({ q: tag, status: 'analyzed' }).set(bearer(staff)).expect(200);
      expect(names(byStatus)).toEqual(['b']);
      // Text in any of name, email, company and message, in any case; % and _ are plain characters.
      expect(names(await http.get('/api/submissions').query({ q: `BOB.${tag}` }).set(bearer(staff)).expect(200))).toEqual(['b']);
      expect(names(await http.get('/api/submissions').query({ q: '100%_shop' }).set(bearer(staff)).expect(200))).toEqual(['a']);
      expect((await http.get('/api/submissions').query({ q: `${tag}_` }).set(bearer(staff)).expect(200)).body.total).toBe(0);
      expect((await http.get('/api/submissions').query({ q: `ana%${tag}` }).set(bearer(staff)).expect(200)).body.total).toBe(0);

      const first = await http.get('/api/submissions').query({ q: tag, pageSize: 2 }).set(bearer(staff)).expect(200);
      expect(names(first)).toEqual(['c', 'b']);
      expect(first.body).toMatchObject({ page: 1, pageSize: 2, total: 3 });
      const second = await http.get('/api/submissions').query({ q: tag, pageSize: 2, page: 2 }).set(bearer(staff)).expect(200);
      expect(names(second)).toEqual(['a']);
      expect(second.body).toMatchObject({ page: 2, pageSize: 2, total: 3 });
      const admin = await http.get('/api/submissions').query({ q: tag, page: 3, pageSize: 2 }).set(bearer(await auth.mint({ roles: ['admin'] }))).expect(200);
      expect(admin.body).toEqual({ items: [], page: 3, pageSize: 2, total: 3 });
    });

    it('answers 400 naming each bad or unknown query parameter', async () => {
      const res = await http.get('/api/submissions').query({ status: 'lost', pageSize: 500, page: 0, email: 'nope', foo: 1 }).set(bearer(staff)).expect(400);
      expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['email', 'foo', 'page', 'pageSize', 'status']);
      expect(res.body.message).toContain('status must be one of: received');
      const notNumber = await http.get('/api/submissions?page=two').set(bearer(staff)).expect(400);
      expect(notNumber.body.message).toContain('page must be a whole number');
      const twice = await http.get('/api/submissions?q=a&q=b').set(bearer(staff)).expect(400);
      expect(twice.body.errors.map((e: { field: string }) => e.field)).toEqual(['q']);
    });

    it('shows a client only the leads sent with their verified email, and those in full', async () => {
      const client = await auth.mint({ roles: ['client'], email: `ANA.${tag}@example.com`, emailVerified: true });
      const own = await http.get('/api/submissions').set(bearer(client)).expect(200);
      expect(names(own)).toEqual(['c', 'a']);
      expect(own.body.total).toBe(2);
      expect(names(await http.get('/api/submissions').query({ email: ana }).set(bearer(client)).expect(200))).toEqual(['c', 'a']);
      expect(names(await http.get('/api/submissions').query({ q: 'second' }).set(bearer(client)).expect(200))).toEqual(['c']);
      const others = await http.get('/api/submissions').query({ email: leads.b.email }).set(bearer(client)).expect(403);
      expect(others.body.message).toContain('only the leads sent with their own email address');

      const mine = await http.get(`/api/submissions/${ids.a}`).set(bearer(client)).expect(200);
      expect(mine.body).toMatchObject({ name: 'Ana Old', email: ana, company: 'Acme 100%_Shop', message: leads.a.message });
      const notMine = await http.get(`/api/submissions/${ids.b}`).set(bearer(client)).expect(200);
      for (const field of PERSONAL) expect(notMine.body[field]).toBeUndefined();
    });

    it('refuses the list to a client whose email is not verified, and shows them only the status view', async () => {
      const unverified = await auth.mint({ roles: ['client'], email: ana, emailVerified: false });
      const res = await http.get('/api/submissions').set(bearer(unverified)).expect(403);
      expect(res.body.message).toContain('Verify your email address first');
      const view = await http.get(`/api/submissions/${ids.a}`).set(bearer(unverified)).expect(200);
      for (const field of PERSONAL) expect(view.body[field]).toBeUndefined();
    });
  });

  it('serves health, metrics and the OpenAPI document', async () => {
    const ready = await http.get('/health/ready').expect(200);
    expect(ready.body.details).toMatchObject({ database: { status: 'up' }, rabbitmq: { status: 'up' }, redis: { status: 'up' } });
    await http.get('/health/live').expect(200);
    const metrics = await http.get('/metrics').expect(200);
    expect(metrics.text).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/api\/submissions"[^}]*status_code="202"/);
    expect(metrics.text).toContain('statex_messages_published_total');
    expect(metrics.text).toContain('process_cpu_seconds_total');
    const spec = await http.get('/docs-json').expect(200);
    expect(spec.body.openapi).toMatch(/^3\./);
    expect(Object.keys(spec.body.paths)).toEqual(expect.arrayContaining(['/api/submissions', '/api/submissions/{id}', '/health/ready']));
    expect(Object.keys(spec.body.paths['/api/submissions']).sort()).toEqual(['get', 'post']);
    const byId = spec.body.paths['/api/submissions/{id}'].get;
    expect(byId.responses['200'].content['application/json'].schema.oneOf).toEqual([
      { $ref: '#/components/schemas/SubmissionViewDto' },
      { $ref: '#/components/schemas/SubmissionStatusViewDto' },
    ]);
    expect(Object.keys(spec.body.components.schemas.SubmissionStatusViewDto.properties)).not.toEqual(expect.arrayContaining(['email']));
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
    await removeTestNamespace(namespace);
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

describe('submission service with the contact form rate-limited (real Redis)', () => {
  const namespace = uniqueNamespace('subrl');
  // Three forms a minute; the loopback proxy may name the client (X-Forwarded-For), so one test plays many addresses.
  const env = testEnv(SubmissionEnv, namespace, { SUBMISSION_RATE_LIMIT_PER_MINUTE: 3, TRUST_PROXY: '127.0.0.1,::1' });
  const database = databaseNameFor(env, 'submission');
  let service: ServiceUnderTest;
  let http: ReturnType<typeof request>;
  const from = (address: string) => ({ 'x-forwarded-for': address });
  const stored = async (email: string) => (await queryDatabase<{ n: number }>(database, 'SELECT count(*)::int AS n FROM submissions WHERE lower(email) = lower($1)', [email]))[0].n;

  beforeAll(async () => {
    service = await startServiceForTest(submissionService, env, { consume: false });
    http = service.http;
  });

  afterAll(async () => {
    await service?.app.close();
    await removeTestNamespace(namespace);
    const probe = await new BrokerProbe(namespace).start();
    await probe.cleanup(['submission']);
    await probe.stop();
  });

  it('answers 429 with Retry-After to the 4th form in a minute from one address, before reading its files', async () => {
    for (let i = 1; i <= 3; i++) await http.post('/api/submissions').set(from('203.0.113.7')).send({ ...lead, email: `one-${i}@example.com` }).expect(202);
    const res = await http
      .post('/api/submissions')
      .set(from('203.0.113.7'))
      .field('name', lead.name)
      .field('email', 'one-4@example.com')
      .field('message', lead.message)
      .attach('attachments', fixtures.pdf(), 'brief.pdf')
      .expect(429);
    expect(res.body.message).toMatch(/^Too many requests: at most 3 contact forms per minute from one address\. Try again in \d+ s\.$/);
    const retryAfter = Number(res.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await stored('one-4@example.com')).toBe(0);
    // Another address is counted on its own.
    await http.post('/api/submissions').set(from('203.0.113.8')).send({ ...lead, email: 'one-4@example.com' }).expect(202);
  });

  it('counts each email address too, whatever its letter case and whichever address sends it', async () => {
    for (const [i, email] of ['lead@example.com', 'LEAD@example.com', 'Lead@Example.COM'].entries()) {
      await http.post('/api/submissions').set(from(`198.51.100.${i + 1}`)).send({ ...lead, email }).expect(202);
    }
    const res = await http.post('/api/submissions').set(from('198.51.100.9')).send({ ...lead, email: 'lead@EXAMPLE.com' }).expect(429);
    expect(res.body.message).toContain('at most 3 contact forms per minute for one email address');
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(await stored('lead@example.com')).toBe(3);
  });

  it('does not count a replayed Idempotency-Key against the email address', async () => {
    const form = { ...lead, email: 'retry@example.com' };
    const first = await http.post('/api/submissions').set(from('192.0.2.1')).set('Idempotency-Key', 'retry-1').send(form).expect(202);
    for (let i = 2; i <= 4; i++) {
      const again = await http.post('/api/submissions').set(from(`192.0.2.${i}`)).set('Idempotency-Key', 'retry-1').send(form).expect(202);
      expect(again.body.id).toBe(first.body.id);
      expect(again.headers['idempotent-replayed']).toBe('true');
    }
    await http.post('/api/submissions').set(from('192.0.2.5')).send(form).expect(202);
    await http.post('/api/submissions').set(from('192.0.2.6')).send(form).expect(202);
    await http.post('/api/submissions').set(from('192.0.2.7')).send(form).expect(429);
    expect(await stored('retry@example.com')).toBe(3);
  });
});

describe.each([
  ['TRUST_PROXY unset', ''],
  ['TRUST_PROXY naming another proxy', '10.0.0.1'],
])('submission service: X-Forwarded-For from a client that is not a trusted proxy is ignored by the form’s limit (%s)', (_label, trustProxy) => {
  const namespace = uniqueNamespace('subxff');
  const env = testEnv(SubmissionEnv, namespace, { SUBMISSION_RATE_LIMIT_PER_MINUTE: 3, TRUST_PROXY: trustProxy });
  const database = databaseNameFor(env, 'submission');
  let service: ServiceUnderTest;

  beforeAll(async () => {
    service = await startServiceForTest(submissionService, env, { consume: false });
  });

  afterAll(async () => {
    await service?.app.close();
    await removeTestNamespace(namespace);
    const probe = await new BrokerProbe(namespace).start();
    await probe.cleanup(['submission']);
    await probe.stop();
  });

  it('counts the socket’s address however the client rotates a forged X-Forwarded-For: the 4th form is a 429', async () => {
    // Each form names another client and another email: only the socket's address can be counted.
    for (let i = 1; i <= 3; i++) {
      await service.http.post('/api/submissions').set('x-forwarded-for', `203.0.113.${i}`).send({ ...lead, email: `forged-${i}@example.com` }).expect(202);
    }
    const res = await service.http.post('/api/submissions').set('x-forwarded-for', '198.51.100.77, 203.0.113.99').send({ ...lead, email: 'forged-4@example.com' }).expect(429);
    expect(res.body.message).toContain('from one address');
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    const stored = await queryDatabase<{ n: number }>(database, `SELECT count(*)::int AS n FROM submissions WHERE email LIKE 'forged-%'`);
    expect(stored[0].n).toBe(3);
  });
});
