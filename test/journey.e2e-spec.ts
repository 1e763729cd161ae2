import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthStandIn, bearer, BrokerProbe, removeTestNamespace, fixtures, ServiceProcess, SmtpStandIn, uniqueNamespace, waitFor } from '@statex/testing';
import { APPS, AppName, platformProcesses } from './platform';

/** The built platform, each app its own process, followed from the form to the acknowledgement. */
describe('journey across processes: form → stored → acknowledgement → analysis → results message', () => {
  const namespace = uniqueNamespace('jny');
  const smtp = new SmtpStandIn();
  // Plays user-portal's JWKS for the other apps: the staff routes (workflows) need an operator's token.
  const auth = new AuthStandIn();
  let apps: Record<AppName, ServiceProcess>;
  let operator: Record<string, string>;
  /** What the journey test did and saw, for the lead timeline test after it. */
  let journey: { id: string; sentAt: number; acceptedAt: number; answeredSeenAt: number; statusAt: Record<string, number> } | undefined;

  beforeAll(async () => {
    await smtp.start();
    await auth.start();
    operator = bearer(await auth.mint({ roles: ['operator'], expiresIn: 3600 }));
    apps = platformProcesses(namespace, APPS.map((a) => a.app), {
      ...auth.env,
      SMTP_PORT: smtp.port,
      STORAGE_LOCAL_DIR: mkdtempSync(join(tmpdir(), 'statex-journey-')),
      // The services' info lines (a request's own line, a finished analysis) ship to logging for the lead's timeline.
      LOG_LEVEL: 'info',
      LOG_SHIPPING_FLUSH_MS: 100,
    });
    for (const app of Object.values(apps)) app.start();
    for (const app of Object.values(apps)) await app.ready(90_000);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(Object.values(apps ?? {}).map((app) => app.stop()));
    await smtp.stop();
    await auth.stop();
    await removeTestNamespace(namespace);
    const probe = await new BrokerProbe(namespace).start();
    await probe.cleanup(APPS.map((a) => a.app));
    await probe.stop();
  });

  it.each(APPS.map((a) => [a.app, a.port] as const))('%s serves health, metrics and its OpenAPI document', async (_app, port) => {
    const base = `http://127.0.0.1:${port}`;
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as any).details.rabbitmq.status).toBe('up');
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('process_resident_memory_bytes');
    expect(metrics).toContain('statex_messages_consumed_total');
    const spec = (await (await fetch(`${base}/docs-json`)).json()) as any;
    expect(spec.openapi).toMatch(/^3\./);
    expect((await fetch(`${base}/docs`)).status).toBe(200);
  });

  it('follows a submission with an attachment to its acknowledgement, its analysis and the results message', async () => {
    const form = new FormData();
    form.set('name', 'Jana Nováková');
    form.set('email', 'jana@example.com');
    form.set('message', 'We need a new e-shop with card payments and shipping for our 300 products.');
    form.set('attachments', new Blob([fixtures.pdf()], { type: 'application/pdf' }), 'brief.pdf');
    const sentAt = Date.now();
    const res = await fetch(`${apps.submission.url}/api/submissions`, { method: 'POST', body: form });
    const acceptedAt = Date.now();
    expect(res.status).toBe(202);
    const accepted = (await res.json()) as any;
    expect(accepted).toMatchObject({ status: 'received', statusUrl: `http://127.0.0.1:18002/api/submissions/${accepted.id}` });
    // Watch the status as a user refreshing the status page would, until the journey ends.
    const seen: string[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const status = await fetch(accepted.statusUrl)
          .then(async (r) => ((await r.json()) as any).status as string)
          .catch(() => undefined); // one failed refresh: the next one tells
        if (status && seen.at(-1) !== status) seen.push(status);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    let results: any;
    let view: any;
    try {
      const mail = await waitFor(() => smtp.find(accepted.id).find((m) => m.subject?.startsWith('We received')), { timeoutMs: 30_000, what: 'the acknowledgement' });
      expect(mail.text).toContain('Hello Jana Nováková');
      expect(mail.text).toContain(accepted.statusUrl);

      results = await waitFor(() => smtp.find(accepted.id).find((m) => m.subject?.startsWith('Our first look')), { timeoutMs: 30_000, what: 'the results message' });
      expect(results.text).toContain('e-commerce');

      view = await waitFor(
        async () => {
          const body = ((await (await fetch(accepted.statusUrl)).json()) as any);
          return body.status === 'answered' && body.timeline.some((t: { status: string }) => t.status === 'acknowledged') && body;
        },
        { timeoutMs: 30_000, what: 'status answered, acknowledged on the way' },
      );
      journey = { id: accepted.id, sentAt, acceptedAt, answeredSeenAt: Date.now(), statusAt: {} };
      expect(view.attachments).toEqual([expect.objectContaining({ fileName: 'brief.pdf', contentType: 'application/pdf' })]);
    } finally {
      watching = false;
      await watcher;
    }
    // The watcher may have stopped just before the last change it would have seen.
    if (seen.at(-1) !== view.status) seen.push(view.status);
    // The status only ever moves forward: received, then acknowledged and/or analyzing (the two race), analyzed, answered.
    const rank = ['received', 'acknowledged', 'analyzing', 'analyzed', 'answered'];
    expect(seen[0]).toBe('received');
    expect(seen.at(-1)).toBe('answered');
    expect(seen.map((st) => rank.indexOf(st))).toEqual([...seen.map((st) => rank.indexOf(st))].sort((a, b) => a - b));
    // The timeline lists every step once, in the order they happened.
    const at = (st: string) => Date.parse(view.timeline.find((t: { status: string }) => t.status === st).at);
    expect(view.timeline.map((t: { status: string }) => t.status).sort()).toEqual(['acknowledged', 'analyzed', 'analyzing', 'answered', 'received']);
    expect(at('received')).toBeLessThanOrEqual(at('analyzing'));
    expect(at('analyzing')).toBeLessThanOrEqual(at('analyzed'));
    expect(at('analyzed')).toBeLessThanOrEqual(at('answered'));
    expect(at('received')).toBeLessThanOrEqual(at('acknowledged'));
    journey!.statusAt = Object.fromEntries(view.timeline.map((t: { status: string; at: string }) => [t.status, Date.parse(t.at)]));
    expect(view.analysis).toMatchObject({ category: 'e-commerce', summary: expect.stringContaining('e-shop') });
    expect(results.text).toContain(view.analysis.summary);

    // The workflows are for staff: shut to anyone without a token, open to an operator's.
    const workflowsUrl = `${apps['ai-orchestrator'].url}/api/workflows?submissionId=${accepted.id}`;
    expect((await fetch(workflowsUrl)).status).toBe(401);
    const workflowsRes = await fetch(workflowsUrl, { headers: operator });
    expect(workflowsRes.status).toBe(200);
    const workflows = (await workflowsRes.json()) as any[];
    expect(workflows).toHaveLength(1);
    expect(workflows[0].status).toBe('completed');
    expect(workflows[0].steps.map((st: { step: string; status: string; provider: string }) => `${st.step}:${st.status}:${st.provider}`)).toEqual([
      'extract:completed:local',
      'classify:completed:local',
      'summarize:completed:local',
      'propose:completed:local',
    ]);
  });

  it('logging tells that lead’s whole story: its events, status changes, notification attempts, workflow steps and log lines from four services, in the order the journey went', async () => {
    expect(journey).toBeDefined();
    const { id, sentAt, acceptedAt, answeredSeenAt, statusAt } = journey!;
    const url = `${apps.logging.url}/api/leads/${id}/timeline`;
    expect((await fetch(url)).status).toBe(401);
    type Entry = { at: string; service: string; kind: string; summary: string; routingKey?: string; status?: string; details?: Record<string, unknown> };
    const find = (entries: Entry[], what: Partial<Entry> & { template?: string }) =>
      entries.find((e) => Object.entries(what).every(([k, v]) => (k === 'template' ? e.details?.template === v : (e as Record<string, unknown>)[k] === v)));
    // Everything has happened (the test above saw the results email and status answered); the last lines and events may still be on their way to logging.
    const timeline = await waitFor(
      async () => {
        const res = await fetch(url, { headers: operator });
        if (res.status !== 200) return false;
        const body = (await res.json()) as { submissionId: string; entries: Entry[] };
        const complete =
          find(body.entries, { kind: 'status', status: 'answered' }) &&
          find(body.entries, { kind: 'status', status: 'acknowledged' }) &&
          find(body.entries, { kind: 'log', service: 'submission', summary: 'Submission received' }) &&
          find(body.entries, { service: 'ai-orchestrator', summary: 'Analysis completed' });
        return complete && body;
      },
      { timeoutMs: 20_000, intervalMs: 250, what: 'the whole journey in the lead’s timeline' },
    );
    const checkedAt = Date.now();
    const story = timeline.entries.map((e) => `${e.at} ${e.service} ${e.kind} ${e.summary}`).join('\n');
    expect(timeline.submissionId).toBe(id);

    // Each kind, from the four services the journey went through.
    expect({ kinds: [...new Set(timeline.entries.map((e) => e.kind))].sort(), story }).toEqual({ kinds: ['event', 'log', 'notification', 'status', 'step'], story });
    expect({ services: [...new Set(timeline.entries.map((e) => e.service))].sort(), story }).toEqual({ services: ['ai-orchestrator', 'ai-worker', 'notification', 'submission'], story });
    // Every event once (the event log keeps a redelivery once), from the service that published it.
    expect(timeline.entries.filter((e) => e.kind === 'event').map((e) => `${e.service} ${e.routingKey}`).sort()).toEqual([
      'ai-orchestrator ai.analysis.completed',
      'ai-orchestrator ai.analysis.started',
      'notification notification.sent',
      'notification notification.sent',
      'submission request.created',
    ]);
    const at = (what: Partial<Entry> & { template?: string }) => {
      const entry = find(timeline.entries, what);
      if (!entry) throw new Error(`No ${JSON.stringify(what)} in the timeline:\n${story}`);
      return Date.parse(entry.at);
    };
    const created = at({ kind: 'event', routingKey: 'request.created' });
    const started = at({ kind: 'event', routingKey: 'ai.analysis.started' });
    const completed = at({ kind: 'event', routingKey: 'ai.analysis.completed' });
    const acknowledgement = at({ kind: 'notification', template: 'acknowledgement' });
    const results = at({ kind: 'notification', template: 'analysis-results' });
    const received = at({ kind: 'log', service: 'submission', summary: 'Submission received' });
    const analysisLogged = at({ service: 'ai-orchestrator', summary: 'Analysis completed' });
    // ai-worker's line: the attachment is no PDF it can read (the fixture has no pages), which it says inside the step it runs.
    const workerLine = timeline.entries.find((e) => e.service === 'ai-worker');
    expect(workerLine).toMatchObject({ kind: 'step', summary: expect.stringContaining('brief.pdf'), details: { step: expect.any(String) } });
    expect(workerLine!.details!.workflowId).toBe(find(timeline.entries, { kind: 'step', service: 'ai-orchestrator' })?.details?.workflowId);
    const worked = Date.parse(workerLine!.at);

    // The order the journey went, by the entries' own times: the form was stored and request.created
    // written while the POST was answered; the analysis started after it, the worker ran inside it,
    // the results went out after it completed; the acknowledgement after the form.
    expect(created).toBeGreaterThanOrEqual(sentAt);
    expect(created).toBeLessThanOrEqual(acceptedAt);
    // The request's own line is written once the answer is out (after the transaction), so a moment after the client may have it.
    expect(received).toBeGreaterThanOrEqual(created);
    expect(received).toBeLessThanOrEqual(acceptedAt + 100);
    expect(created).toBeLessThanOrEqual(started);
    expect(started).toBeLessThanOrEqual(worked);
    expect(worked).toBeLessThanOrEqual(completed);
    expect(completed).toBeLessThanOrEqual(analysisLogged);
    expect(analysisLogged).toBeLessThanOrEqual(results);
    expect(created).toBeLessThanOrEqual(acknowledgement);
    const status = (s: string) => at({ kind: 'status', status: s });
    expect(status('received')).toBeLessThanOrEqual(status('acknowledged'));
    expect(status('received')).toBeLessThanOrEqual(status('analyzing'));
    expect(status('analyzing')).toBeLessThanOrEqual(status('analyzed'));
    expect(status('analyzed')).toBeLessThanOrEqual(status('answered'));
    // Each status change is at the time submission's own status page gives it (the time its event states).
    for (const s of ['received', 'acknowledged', 'analyzing', 'analyzed', 'answered']) {
      const entry = find(timeline.entries, { kind: 'status', status: s }) as Entry & { occurredAt?: string };
      expect({ status: s, at: Date.parse(entry.occurredAt!) }).toEqual({ status: s, at: statusAt[s] });
    }
    expect(statusAt.answered).toBeLessThanOrEqual(answeredSeenAt);
    // Nothing from before the form or after this question; and listed in that order.
    for (const e of timeline.entries) {
      expect(Date.parse(e.at)).toBeGreaterThanOrEqual(sentAt);
      expect(Date.parse(e.at)).toBeLessThanOrEqual(checkedAt);
    }
    const times = timeline.entries.map((e) => Date.parse(e.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    // For staff only.
    expect((await fetch(url, { headers: bearer(await auth.mint({ roles: ['client'] })) })).status).toBe(403);
  });

  it('a service given an invalid variable refuses to start and names it', async () => {
    const broken = new ServiceProcess('content', 18099, { PATH: process.env.PATH ?? '', ENV_FILE: '/nonexistent', CONTENT_PORT: 'eighty', RABBITMQ_URL: 'http://x' });
    broken.start();
    await waitFor(() => broken.output.includes('RABBITMQ_URL'), { what: 'the error message' });
    expect(broken.output).toContain('CONTENT_PORT');
    await broken.stop();
  });
});
