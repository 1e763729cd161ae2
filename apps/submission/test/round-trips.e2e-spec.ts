import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { BrokerProbe, dropDatabases, fixtures, queryDatabase, ServiceUnderTest, startServiceForTest, testEnv, uniqueNamespace } from '@statex/testing';
import { submissionService } from '../src/submission.app';
import { SubmissionEnv } from '../src/submission.env';

/**
 * A regression guard for intake speed: the database round trips one contact form costs, counted at
 * the pg client for the statements issued while the request is handled (the relay's own work, after
 * the commit, is outside). One today: the submission, its timeline entry, its outbox row and the
 * relay's notification in one prepared statement. If this grows, intake got slower.
 */
describe('submission: database round trips per contact form', () => {
  const namespace = uniqueNamespace('rtp');
  const inRequest = new AsyncLocalStorage<{ statements: string[] }>();
  const original = Client.prototype.query;
  let service: ServiceUnderTest;

  beforeAll(async () => {
    // Every statement a pg client sends while a request's store is active is counted for that request.
    Client.prototype.query = function (this: Client, ...args: unknown[]) {
      const store = inRequest.getStore();
      const first = args[0] as string | { text?: string };
      if (store) store.statements.push(typeof first === 'string' ? first : (first?.text ?? '?'));
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof Client.prototype.query;
    service = await startServiceForTest(submissionService, testEnv(SubmissionEnv, namespace, { STORAGE_LOCAL_DIR: mkdtempSync(join(tmpdir(), 'statex-rtp-')) }));
  });

  afterAll(async () => {
    Client.prototype.query = original;
    await service?.app.close();
    await dropDatabases(`${namespace}_`);
    const probe = await new BrokerProbe(namespace).start();
    await probe.cleanup(['submission']);
    await probe.stop();
  });

  /** Sends one request with a fresh store entered before Fastify sees it: the whole request runs in it. */
  async function statementsOf(send: () => Promise<unknown>): Promise<string[]> {
    const store = { statements: [] as string[] };
    const server = service.app.getHttpServer();
    const enter = () => inRequest.enterWith(store);
    server.prependListener('request', enter);
    try {
      await send();
    } finally {
      server.removeListener('request', enter);
    }
    return store.statements;
  }

  it('stores a JSON contact form, with its timeline entry and event, in one round trip', async () => {
    let id = '';
    const statements = await statementsOf(async () => {
      const res = await service.http.post('/api/submissions').send({ name: 'Jana', email: 'jana@example.com', message: 'We need an e-shop.' }).expect(202);
      id = res.body.id;
    });
    expect({ roundTrips: statements.length, statements: statements.map((s) => s.slice(0, 60)) }).toEqual({ roundTrips: 1, statements: [expect.stringContaining('WITH submission_row AS (INSERT INTO submissions')] });
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
});
