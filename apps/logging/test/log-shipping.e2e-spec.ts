import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deleteLogTopology } from './log-broker-cleanup';
import { AuthStandIn, bearer, BrokerProbe, removeTestNamespace, ServiceProcess, testProcessEnv, uniqueNamespace, waitFor } from '@statex/testing';

/**
 * The built apps as processes (run with `flock /tmp/statex-dist.lock`), shipping their lines as
 * `npm start` runs them.
 */
describe('log shipping across processes: every service’s lines reach logging, and a lost broker never stops a service', () => {
  const namespace = uniqueNamespace('lshp');
  const auth = new AuthStandIn();
  let logging: ServiceProcess;
  let submission: ServiceProcess;
  let isolated: ServiceProcess;
  let operator: Record<string, string>;

  const submit = (base: string, correlationId: string) => {
    const form = new FormData();
    form.set('name', 'Jana Nováková');
    form.set('email', 'jana@example.com');
    form.set('message', 'We need a new e-shop with card payments and shipping for our 300 products.');
    return fetch(`${base}/api/submissions`, { method: 'POST', body: form, headers: { 'x-correlation-id': correlationId } });
  };

  beforeAll(async () => {
    await auth.start();
    operator = bearer(await auth.mint({ roles: ['operator'], expiresIn: 3600 }));
    const common = {
      ...auth.env,
      LOG_LEVEL: 'info',
      LOG_SHIPPING_FLUSH_MS: 100,
      STORAGE_LOCAL_DIR: mkdtempSync(join(tmpdir(), 'statex-log-shipping-')),
      SUBMISSION_PUBLIC_URL: 'http://127.0.0.1:18002',
    };
    logging = new ServiceProcess('logging', 18007, testProcessEnv(namespace, { ...common, LOGGING_PORT: 18007 })).start();
    submission = new ServiceProcess('submission', 18002, testProcessEnv(namespace, { ...common, SUBMISSION_PORT: 18002 })).start();
    await logging.ready();
    await submission.ready();
    // The same service, whose log shipping cannot reach any broker (its events still can).
    isolated = new ServiceProcess(
      'submission',
      18012,
      testProcessEnv(namespace, { ...common, SUBMISSION_PORT: 18012, LOG_SHIPPING_URL: 'amqp://guest:guest@127.0.0.1:1', LOG_SHIPPING_BUFFER_LINES: 5 }),
    ).start();
    await isolated.ready();
  }, 120_000);

  afterAll(async () => {
    await Promise.all([logging, submission, isolated].map((p) => p?.stop()));
    await auth.stop();
    await removeTestNamespace(namespace);
    const probe = await new BrokerProbe(namespace).start();
    await deleteLogTopology(namespace);
    await probe.cleanup(['logging', 'submission']);
    await probe.stop();
  });

  it('a request to submission shows up, with its correlation id, in GET /api/logs within seconds, and its lead’s timeline joins lines and events', async () => {
    const correlationId = randomUUID();
    const res = await submit(submission.url, correlationId);
    expect(res.status).toBe(202);
    const { id: submissionId } = (await res.json()) as { id: string };

    const lines = await waitFor(async () => {
      const page = (await (await fetch(`${logging.url}/api/logs?correlationId=${correlationId}&service=submission`, { headers: operator })).json()) as { items: any[] };
      return page.items.some((i) => i.message === 'Submission received') && page.items;
    }, { what: 'submission’s lines in logging', timeoutMs: 10_000 });
    expect(lines.find((i) => i.message === 'Submission received')).toMatchObject({ service: 'submission', level: 'info', correlationId, submissionId });
    // One line per form: the request's own, with what the route added to it.
    expect(lines.find((i) => i.message === 'Submission received')?.fields).toMatchObject({ res: { statusCode: 202 }, req: { method: 'POST', url: '/api/submissions' }, attachments: 0 });

    const timeline = await waitFor(async () => {
      const r = await fetch(`${logging.url}/api/leads/${submissionId}/timeline`, { headers: operator });
      const body = r.status === 200 ? ((await r.json()) as { entries: any[] }) : undefined;
      return body?.entries.some((e) => e.kind === 'event' && e.routingKey === 'request.created') && body;
    }, { what: 'request.created in the lead’s timeline', timeoutMs: 10_000 });
    const story = timeline.entries.map((e) => `${e.service} ${e.kind} ${e.summary}`);
    expect(story).toEqual(expect.arrayContaining(['submission event request.created', 'submission status received', 'submission log Submission received']));
    const times = timeline.entries.map((e) => e.at as string);
    expect([...times].sort()).toEqual(times);
  });

  it('ships what it still holds when it is stopped', async () => {
    // A flush interval and batch no test waits for: its lines leave only when the process stops.
    const holding = new ServiceProcess(
      'submission',
      18022,
      testProcessEnv(namespace, { ...auth.env, LOG_LEVEL: 'info', SUBMISSION_PORT: 18022, LOG_SHIPPING_FLUSH_MS: 60_000, LOG_SHIPPING_BATCH_LINES: 10_000 }),
    ).start();
    try {
      await holding.ready();
      const correlationId = randomUUID();
      expect((await fetch(`${holding.url}/api/nothing-here`, { headers: { 'x-correlation-id': correlationId } })).status).toBe(404);
      const find = async () => ((await (await fetch(`${logging.url}/api/logs?correlationId=${correlationId}`, { headers: operator })).json()) as { items: unknown[] }).items;
      await new Promise((r) => setTimeout(r, 1000));
      expect(await find()).toEqual([]);
      await holding.stop();
      expect(holding.exits).toEqual([{ code: null, signal: 'SIGTERM' }]);
      await waitFor(async () => (await find()).length > 0, { what: 'the held line in logging', timeoutMs: 10_000 });
    } finally {
      await holding.stop();
    }
  });

  it('keeps serving while its log shipping cannot reach RabbitMQ: stdout keeps every line, the lost ones are counted', async () => {
    // A request's line is the one with its response status (health checks write none).
    const requestLines = () => (isolated.output.match(/"res":\{"statusCode":\d+\}/g) ?? []).length;
    const before = requestLines();
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${isolated.url}/api/nothing-${i}`);
      expect(res.status).toBe(404);
    }
    const res = await submit(isolated.url, randomUUID());
    expect(res.status).toBe(202);
    expect((await fetch(`${isolated.url}/health/ready`)).status).toBe(200);

    await waitFor(() => requestLines() >= before + 21, { what: 'every request line on stdout' });
    const metrics = await (await fetch(`${isolated.url}/metrics`)).text();
    const dropped = Number(/^statex_log_lines_dropped_total(?:\{[^}]*\})? (\d+)/m.exec(metrics)?.[1]);
    const buffered = Number(/^statex_log_lines_buffered(?:\{[^}]*\})? (\d+)/m.exec(metrics)?.[1]);
    expect(buffered).toBe(5);
    expect(dropped).toBeGreaterThanOrEqual(21);
    // The healthy one ships and drops nothing.
    const healthy = await (await fetch(`${submission.url}/metrics`)).text();
    expect(Number(/^statex_log_lines_shipped_total(?:\{[^}]*\})? (\d+)/m.exec(healthy)?.[1])).toBeGreaterThan(0);
    expect(Number(/^statex_log_lines_dropped_total(?:\{[^}]*\})? (\d+)/m.exec(healthy)?.[1])).toBe(0);
  });
});
