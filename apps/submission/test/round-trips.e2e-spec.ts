import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrokerProbe, removeTestNamespace, fixtures, PgStatementCounter, queryDatabase, ServiceUnderTest, startServiceForTest, testEnv, uniqueNamespace } from '@statex/testing';
import { randomUUID } from 'node:crypto';
import { RoutingKey } from '@statex/contracts';
import { submissionService } from '../src/submission.app';
import { SubmissionService } from '../src/submissions/submission.service';
import { journeyStageDuration } from '../src/submissions/journey.metrics';
import { SubmissionEnv } from '../src/submission.env';

/**
 * A regression guard for intake speed: the database round trips one contact form costs, counted at
 * the pg client for the statements issued while the request is handled (the relay's own work, after
 * the commit, is outside). One today: the submission, its timeline entry, its outbox row and the
 * relay's notification in one prepared statement. If this grows, intake got slower.
 */
describe('submission: database round trips per contact form', () => {
  const namespace = uniqueNamespace('rtp');
  let counter: PgStatementCounter;
  let requests = 0;
  let service: ServiceUnderTest;

  beforeAll(async () => {
    // Every statement a pg client sends while a request's label is active is counted for that request.
    counter = new PgStatementCounter();
    service = await startServiceForTest(submissionService, testEnv(SubmissionEnv, namespace, { STORAGE_LOCAL_DIR: mkdtempSync(join(tmpdir(), 'statex-rtp-')) }));
  });

  afterAll(async () => {
    counter.restore();
    await service?.app.close();
    await removeTestNamespace(namespace);
    const probe = await new BrokerProbe(namespace).start();
    await probe.cleanup(['submission']);
    await probe.stop();
  });

  /** Sends one request with a fresh label entered before Fastify sees it: the whole request runs under it. */
  async function statementsOf(send: () => Promise<unknown>): Promise<string[]> {
    const label = `request ${(requests += 1)}`;
    const server = service.app.getHttpServer();
    const enter = () => counter.enterWith(label);
    server.prependListener('request', enter);
    try {
      await send();
    } finally {
      server.removeListener('request', enter);
    }
    return counter.of(label);
  }

  it('stores a JSON contact form, with its timeline entry and event, in one round trip', async () => {
    let id = '';
    const statements = await statementsOf(async () => {
      const res = await service.http.post('/api/submissions').send({ name: 'Jana', email: 'jana@example.com', message: 'We need an e-shop.' }).expect(202);
      id = res.body.id;
    });
    expect({ roundTrips: statements.length, statements }).toEqual({ roundTrips: 1, statements: [expect.stringContaining('WITH submission_row AS (INSERT INTO submissions')] });
    // And it is all there: the row, its timeline entry, its event.
    const [row] = await queryDatabase<{ n: number; t: number; o: number }>(
      `${namespace}_submission`,
      `SELECT (SELECT count(*) FROM submissions WHERE id = $1)::int AS n, (SELECT count(*) FROM submission_status_changes WHERE submission_id = $1)::int AS t,
              (SELECT count(*) FROM outbox_messages WHERE correlation_id = $1::text AND routing_key = 'request.created')::int AS o`,
      [id],
    );
    expect(row).toEqual({ n: 1, t: 1, o: 1 });
  });

  it('stores a multipart form with attachments in one round trip too', async () => {
    const statements = await statementsOf(() =>
      service.http.post('/api/submissions').field('name', 'Jana').field('email', 'jana@example.com').field('message', 'See the brief.').attach('attachments', fixtures.pdf(), 'brief.pdf').expect(202),
    );
    expect(statements).toHaveLength(1);
  });

  it('records each status event of the journey in one round trip, once per message, moving only forward and keeping the newest run’s analysis', async () => {
    const submissions = service.app.get(SubmissionService);
    const { body } = await service.http.post('/api/submissions').send({ name: 'Jana', email: 'jana@example.com', message: 'We need an e-shop.' }).expect(202);
    const event = (routingKey: string) => ({ messageId: randomUUID(), routingKey });
    const label = `status ${(requests += 1)}`;
    const analysed = event(RoutingKey.AiAnalysisCompleted);
    const observed = async () => {
      const counts = (await journeyStageDuration.get()).values.filter((v) => v.metricName === 'statex_journey_stage_duration_seconds_count');
      return Object.fromEntries(counts.map((v) => [v.labels.stage, v.value]));
    };
    const before = await observed();
    await counter.run(label, async () => {
      await submissions.recordStatus(event(RoutingKey.AiAnalysisStarted), body.id, 'analyzing', new Date(), 'workflow w');
      await submissions.recordStatus(analysed, body.id, 'analyzed', new Date(), 'e-commerce (87%)', { analysis: { run: 2, category: 'e-commerce' } });
      // An older run ending late, a redelivered message, a late acknowledgement.
      await submissions.recordStatus(event(RoutingKey.AiAnalysisCompleted), body.id, 'analyzed', new Date(), 'website (50%)', { analysis: { run: 1, category: 'website' } });
      await submissions.recordStatus(analysed, body.id, 'analyzed', new Date(), 'e-commerce (87%)', { analysis: { run: 2, category: 'e-commerce' } });
      await submissions.recordStatus(event(RoutingKey.NotificationSent), body.id, 'acknowledged', new Date(), 'email to jana@example.com');
    });
    expect(counter.of(label)).toEqual(Array.from({ length: 5 }, () => expect.stringContaining('WITH inbox_row AS (INSERT INTO inbox_messages')));
    const [row] = await queryDatabase<{ status: string; category: string; timeline: string[] }>(
      `${namespace}_submission`,
      `SELECT status, analysis->>'category' AS category, (SELECT array_agg(status ORDER BY id) FROM submission_status_changes WHERE submission_id = $1) AS timeline FROM submissions WHERE id = $1`,
      [body.id],
    );
    expect(row).toEqual({ status: 'analyzed', category: 'e-commerce', timeline: ['received', 'analyzing', 'analyzed', 'analyzed', 'acknowledged'] });
    // Each timed stage is measured the first time the lead reaches it, once.
    const after = await observed();
    expect({ analyzed: after.analyzed - (before.analyzed ?? 0), acknowledged: after.acknowledged - (before.acknowledged ?? 0) }).toEqual({ analyzed: 1, acknowledged: 1 });
  });
});
