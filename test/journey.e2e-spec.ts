import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthStandIn, bearer, BrokerProbe, dropDatabases, fixtures, ServiceProcess, SmtpStandIn, uniqueNamespace, waitFor } from '@statex/testing';
import { APPS, AppName, platformProcesses } from './platform';

/** The built platform, each app its own process, followed from the form to the acknowledgement. */
describe('journey across processes: form → stored → acknowledgement → analysis → results message', () => {
  const namespace = uniqueNamespace('jny');
  const smtp = new SmtpStandIn();
  // Plays user-portal's JWKS for the other apps: the staff routes (workflows) need an operator's token.
  const auth = new AuthStandIn();
  let apps: Record<AppName, ServiceProcess>;
  let operator: Record<string, string>;

  beforeAll(async () => {
    await smtp.start();
    await auth.start();
    operator = bearer(await auth.mint({ roles: ['operator'], expiresIn: 3600 }));
    apps = platformProcesses(namespace, APPS.map((a) => a.app), {
      ...auth.env,
      SMTP_PORT: smtp.port,
      STORAGE_LOCAL_DIR: mkdtempSync(join(tmpdir(), 'statex-journey-')),
    });
    for (const app of Object.values(apps)) app.start();
    for (const app of Object.values(apps)) await app.ready(90_000);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(Object.values(apps ?? {}).map((app) => app.stop()));
    await smtp.stop();
    await auth.stop();
    await dropDatabases(`${namespace}_`);
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
    const res = await fetch(`${apps.submission.url}/api/submissions`, { method: 'POST', body: form });
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

  it('a service given an invalid variable refuses to start and names it', async () => {
    const broken = new ServiceProcess('content', 18099, { PATH: process.env.PATH ?? '', ENV_FILE: '/nonexistent', CONTENT_PORT: 'eighty', RABBITMQ_URL: 'http://x' });
    broken.start();
    await waitFor(() => broken.output.includes('RABBITMQ_URL'), { what: 'the error message' });
    expect(broken.output).toContain('CONTENT_PORT');
    await broken.stop();
  });
});
