import { randomUUID } from 'node:crypto';
import { createServer, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { AI_STEPS_QUEUE, RequestCreatedEvent, RoutingKey } from '@statex/contracts';
import { attachmentStorageKey, LocalStorageDriver } from '@statex/storage';
import { AuthStandIn, bearer, BrokerProbe, ChatCompletionsStandIn, PgStatementCounter, removeTestNamespace, fixtures, ServiceUnderTest, sleep, startServiceForTest, testEnv, uniqueNamespace, waitFor } from '@statex/testing';
import { aiOrchestratorService } from '../apps/ai-orchestrator/src/ai-orchestrator.app';
import { AiOrchestratorEnv } from '../apps/ai-orchestrator/src/ai-orchestrator.env';
import { WorkflowService } from '../apps/ai-orchestrator/src/workflows/workflow.service';
import { aiWorkerService } from '../apps/ai-worker/src/ai-worker.app';
import { AiWorkerEnv } from '../apps/ai-worker/src/ai-worker.env';
import { explodingStepWorker, requestCreated } from './analysis-support';


describe('ai-orchestrator with an ai-worker (real PostgreSQL, RabbitMQ, Redis)', () => {
  const namespace = uniqueNamespace('orc');
  const probe = new BrokerProbe(namespace);
  let orchestrator: ServiceUnderTest;
  let worker: ServiceUnderTest | undefined;

  const storageDir = mkdtempSync(join(tmpdir(), 'statex-analysis-'));
  const startWorker = async () => {
    worker = await startServiceForTest(aiWorkerService, testEnv(AiWorkerEnv, namespace, { STORAGE_LOCAL_DIR: storageDir }), { consume: false });
  };
  const stopWorker = async () => {
    await worker?.app.close();
    worker = undefined;
  };
  // The workflow routes are for staff: an operator's token, checked against a stand-in of user-portal's JWKS.
  const auth = new AuthStandIn();
  let operator: Record<string, string>;
  const asStaff = {
    get: (path: string) => orchestrator.http.get(path).set(operator),
    post: (path: string) => orchestrator.http.post(path).set(operator),
  };
  const workflowsOf = async (submissionId: string) => (await asStaff.get(`/api/workflows?submissionId=${submissionId}`).expect(200)).body;

  beforeAll(async () => {
    await probe.start();
    await auth.start();
    operator = bearer(await auth.mint({ roles: ['operator'], expiresIn: 3600 }));
    orchestrator = await startServiceForTest(
      aiOrchestratorService,
      testEnv(AiOrchestratorEnv, namespace, { ...auth.env, AI_ORCHESTRATOR_POLL_MS: 100, AI_STEP_ATTEMPTS: 2, AI_STEP_BACKOFF_MS: 100, AI_WORKFLOW_TIMEOUT_MS: 4000, AI_WORKFLOW_QUEUE_TIMEOUT_MS: 6000 }),
    );
  });

  afterAll(async () => {
    await stopWorker();
    await orchestrator?.app.close();
    await auth.stop();
    await removeTestNamespace(namespace);
    await probe.cleanup(['ai-orchestrator']);
    await probe.stop();
  });

  it('analyses a new request once, step by step, and emits started and completed', async () => {
    await startWorker();
    const event = requestCreated('We need a mobile app for iOS and Android with push notifications.');
    const messageId = randomUUID();
    await probe.publish(RoutingKey.RequestCreated, event, { messageId, correlationId: event.submissionId });
    await probe.publish(RoutingKey.RequestCreated, event, { messageId, correlationId: event.submissionId });
    await probe.publish(RoutingKey.RequestCreated, event, { correlationId: event.submissionId });

    const started = await probe.waitForEvent(RoutingKey.AiAnalysisStarted, (m) => m.payload.submissionId === event.submissionId);
    const completed = await probe.waitForEvent(RoutingKey.AiAnalysisCompleted, (m) => m.payload.submissionId === event.submissionId, 20_000);
    expect(started.payload.run).toBe(1);
    expect(completed.payload).toMatchObject({ workflowId: started.payload.workflowId, run: 1, category: 'mobile-app', summary: expect.any(String), proposal: expect.stringContaining('Hello Jana') });
    expect(completed.message.properties.correlationId).toBe(event.submissionId);

    const [workflow] = await workflowsOf(event.submissionId);
    expect(workflow).toMatchObject({ id: started.payload.workflowId, run: 1, status: 'completed' });
    for (const step of workflow.steps) {
      expect(step).toMatchObject({ status: 'completed', attempts: 1, progress: 100, provider: 'local', model: 'wink-eng-lite-web-model', output: expect.any(Object) });
      expect(step.durationMs).toBeGreaterThanOrEqual(0);
    }
    // propose ran after the three others.
    const finished = (s: string) => Date.parse(workflow.steps.find((x: { step: string }) => x.step === s).finishedAt);
    const proposeStarted = Date.parse(workflow.steps.find((x: { step: string }) => x.step === 'propose').startedAt);
    expect(proposeStarted).toBeGreaterThanOrEqual(Math.max(finished('extract'), finished('classify'), finished('summarize')));
    // A marker published after the repeats: once its workflow exists, the repeats have been handled.
    const marker = requestCreated('A marker: we need a website.');
    await probe.publish(RoutingKey.RequestCreated, marker, { correlationId: marker.submissionId });
    await waitFor(async () => (await workflowsOf(marker.submissionId)).length === 1, { what: 'the marker’s workflow' });
    expect(await workflowsOf(event.submissionId)).toHaveLength(1);
    expect(probe.messages(RoutingKey.AiAnalysisCompleted, (m) => m.payload.submissionId === event.submissionId)).toHaveLength(1);

    const rerun = await asStaff.post('/api/workflows').send({ submissionId: event.submissionId }).expect(202);
    expect(rerun.body).toMatchObject({ run: 2, status: 'running' });
    await waitFor(async () => (await asStaff.get(`/api/workflows/${rerun.body.id}`)).body.status === 'completed', { what: 'run 2' });
    const second = await probe.waitForEvent(RoutingKey.AiAnalysisCompleted, (m) => m.payload.workflowId === rerun.body.id);
    expect(second.payload.run).toBe(2);
    expect((await workflowsOf(event.submissionId)).map((w: { run: number }) => w.run)).toEqual([1, 2]);
  });

  it('starts a workflow in one database statement and ends it in one (a regression guard for the journey’s round trips)', async () => {
    if (!worker) await startWorker();
    const counter = new PgStatementCounter();
    // Every statement of the start (request.created) and of the end, labelled with the lead.
    const service = WorkflowService.prototype as unknown as { startFor: unknown; complete: unknown };
    counter.labelCalls(service, 'startFor', (event: RequestCreatedEvent) => `start ${event.submissionId}`);
    counter.labelCalls(service, 'complete', (workflow: { submissionId: string }) => `end ${workflow.submissionId}`);
    try {
      const event = requestCreated('We need an e-shop for our bakery.');
      await probe.publish(RoutingKey.RequestCreated, event, { correlationId: event.submissionId });
      await probe.waitForEvent(RoutingKey.AiAnalysisCompleted, (m) => m.payload.submissionId === event.submissionId, 20_000);
      expect({ start: counter.of(`start ${event.submissionId}`), end: counter.of(`end ${event.submissionId}`) }).toEqual({
        start: [expect.stringContaining('WITH inbox_row AS')],
        end: [expect.stringContaining('WITH finished AS')],
      });
      expect(await workflowsOf(event.submissionId)).toEqual([expect.objectContaining({ status: 'completed', steps: expect.arrayContaining([expect.objectContaining({ step: 'propose', status: 'completed' })]) })]);
    } finally {
      counter.restore();
    }
  });

  it('analyses the text of the attachments too', async () => {
    const event = requestCreated('Hello, please see the attached brief.');
    const attachmentId = randomUUID();
    const source = join(mkdtempSync(join(tmpdir(), 'statex-src-')), 'brief');
    writeFileSync(source, fixtures.docx('We need a mobile app for iOS and Android with push notifications and offline mode.'));
    const storage = new LocalStorageDriver(storageDir);
    await storage.putFile(attachmentStorageKey(event.submissionId, attachmentId), source);
    event.attachments = [{ id: attachmentId, fileName: 'brief.docx', contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', size: 1 }];
    await probe.publish(RoutingKey.RequestCreated, event, { correlationId: event.submissionId });
    const completed = await probe.waitForEvent(RoutingKey.AiAnalysisCompleted, (m) => m.payload.submissionId === event.submissionId, 20_000);
    expect(completed.payload.category).toBe('mobile-app');
    expect(completed.payload.keywords).toEqual(expect.arrayContaining(['android']));
  });

  it('a step that keeps failing fails its workflow with the reason', async () => {
    await stopWorker();
    const failing = explodingStepWorker(namespace);
    try {
      const event = requestCreated('We need a website.');
      await probe.publish(RoutingKey.RequestCreated, event, { correlationId: event.submissionId });
      const failed = await probe.waitForEvent(RoutingKey.AiAnalysisFailed, (m) => m.payload.submissionId === event.submissionId, 20_000);
      expect(failed.payload.reason).toMatch(/failed after 2 attempt\(s\): provider exploded on/);
      const [workflow] = await workflowsOf(event.submissionId);
      expect(workflow.status).toBe('failed');
      expect(workflow.steps.some((s: { status: string; attempts: number; error: string }) => s.status === 'failed' && s.attempts === 2 && s.error.includes('provider exploded'))).toBe(true);
    } finally {
      await failing.close();
    }
  });

  it('a workflow waiting in a busy queue longer than the workflow timeout still runs once a worker comes', async () => {
    await stopWorker();
    const event = requestCreated('We need a mobile app for iOS and Android.');
    await probe.publish(RoutingKey.RequestCreated, event, { correlationId: event.submissionId });
    await probe.waitForEvent(RoutingKey.AiAnalysisStarted, (m) => m.payload.submissionId === event.submissionId);
    await sleep(4500); // past AI_WORKFLOW_TIMEOUT_MS (4 s), within AI_WORKFLOW_QUEUE_TIMEOUT_MS (6 s)
    expect(probe.messages(RoutingKey.AiAnalysisFailed, (m) => m.payload.submissionId === event.submissionId)).toEqual([]);
    await startWorker();
    const completed = await probe.waitForEvent(RoutingKey.AiAnalysisCompleted, (m) => m.payload.submissionId === event.submissionId, 15_000);
    expect(completed.payload.category).toBe('mobile-app');
    await stopWorker();
  });

  it('a workflow nobody works on fails after its timeout instead of hanging; a running one can be cancelled', async () => {
    const event = requestCreated('Integrate our ERP with the e-shop via API.');
    await probe.publish(RoutingKey.RequestCreated, event, { correlationId: event.submissionId });
    const failed = await probe.waitForEvent(RoutingKey.AiAnalysisFailed, (m) => m.payload.submissionId === event.submissionId, 15_000);
    expect(failed.payload.reason).toContain('no ai-worker started it within 6 s (waiting for extract, classify, summarize, propose)');
    // Its steps left the queue with it: nothing is left for a worker to pick up later.
    const queue = new Queue(AI_STEPS_QUEUE, { connection: { url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' }, prefix: namespace });
    try {
      await waitFor(async () => (await Promise.all(['extract', 'propose'].map((step) => queue.getJobState(`${failed.payload.workflowId}-${step}`)))).every((state) => state === 'unknown'), {
        what: 'the jobs of the timed-out workflow to be removed',
      });
    } finally {
      await queue.close();
    }

    const rerun = await asStaff.post('/api/workflows').send({ submissionId: event.submissionId }).expect(202);
    const twice = await asStaff.post('/api/workflows').send({ submissionId: event.submissionId }).expect(409);
    expect(twice.body.message).toContain(`Run 2 of submission ${event.submissionId}`);
    const cancelled = await asStaff.post(`/api/workflows/${rerun.body.id}/cancel`).expect(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', reason: 'cancelled by an operator' });
    expect(cancelled.body.steps.every((s: { status: string }) => s.status === 'cancelled')).toBe(true);
    await asStaff.post(`/api/workflows/${rerun.body.id}/cancel`).expect(409);
  });

  it('a model slower than the step allows: local answers within the step, and the workflow records the fallback', async () => {
    await stopWorker();
    const slowModel = new ChatCompletionsStandIn(() => '{}');
    slowModel.delayMs = 3000;
    await slowModel.start();
    const slowWorker = await startServiceForTest(
      aiWorkerService,
      // Three workers' worth of concurrency: the three parallel steps wait out the model together, well inside the workflow's 4 s.
      testEnv(AiWorkerEnv, namespace, { AI_PROVIDER: 'openai', AI_BASE_URL: `${slowModel.url}/v1`, AI_API_KEY: 'k', AI_TIMEOUT_MS: 10_000, AI_STEP_TIMEOUT_MS: 1500, AI_WORKER_CONCURRENCY: 3 }),
      { consume: false },
    );
    try {
      const event = requestCreated('We need dashboards and KPI reports for our sales data.');
      await probe.publish(RoutingKey.RequestCreated, event, { correlationId: event.submissionId });
      const completed = await probe.waitForEvent(RoutingKey.AiAnalysisCompleted, (m) => m.payload.submissionId === event.submissionId, 20_000);
      expect(completed.payload.category).toBe('data-analytics');
      const [workflow] = await workflowsOf(event.submissionId);
      for (const step of workflow.steps) {
        expect(step).toMatchObject({ status: 'completed', attempts: 1, provider: 'local', fallback: { from: 'openai', reason: expect.stringContaining('no answer within') } });
      }
    } finally {
      await slowWorker.app.close();
      await slowModel.stop();
    }
  });

  it('a step that outlives its timeout (attachment storage hanging) is retried, then fails the workflow with the reason', async () => {
    // An S3 endpoint that knows its bucket but never answers a download.
    const held: ServerResponse[] = [];
    const hanging = createServer((req, res) => {
      if (req.method === 'GET' && req.url?.includes('/submissions/')) return void held.push(res);
      res.writeHead(200).end();
    });
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    const worker = await startServiceForTest(
      aiWorkerService,
      testEnv(AiWorkerEnv, namespace, {
        STORAGE_DRIVER: 's3',
        S3_ENDPOINT: `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`,
        S3_ACCESS_KEY_ID: 'k',
        S3_SECRET_ACCESS_KEY: 's',
        AI_STEP_TIMEOUT_MS: 300,
      }),
      { consume: false },
    );
    try {
      const event = requestCreated('We need a website.');
      event.attachments = [{ id: randomUUID(), fileName: 'brief.txt', contentType: 'text/plain', size: 10 }];
      await probe.publish(RoutingKey.RequestCreated, event, { correlationId: event.submissionId });
      const failed = await probe.waitForEvent(RoutingKey.AiAnalysisFailed, (m) => m.payload.submissionId === event.submissionId, 15_000);
      expect(failed.payload.reason).toMatch(/failed after 2 attempt\(s\): step \w+ timed out after 300 ms/);
      expect(held.length).toBeGreaterThan(0);
    } finally {
      await worker.app.close();
      for (const res of held) res.destroy();
      hanging.closeAllConnections();
      await new Promise((resolve) => hanging.close(resolve));
    }
  });

  it('answers 404 and 400 for unknown submissions and malformed ids', async () => {
    await asStaff.post('/api/workflows').send({ submissionId: randomUUID() }).expect(404);
    await asStaff.post('/api/workflows').send({ submissionId: 'nope' }).expect(400);
    await asStaff.get(`/api/workflows/${randomUUID()}`).expect(404);
    await asStaff.get('/api/workflows/nope').expect(400);
    await asStaff.get('/api/workflows').expect(400);
  });

  it('keeps the workflow routes shut to anyone without a staff token, and changes nothing for them', async () => {
    await stopWorker();
    const event = requestCreated('We need a website for our bakery.');
    await probe.publish(RoutingKey.RequestCreated, event, { correlationId: event.submissionId });
    const started = await probe.waitForEvent(RoutingKey.AiAnalysisStarted, (m) => m.payload.submissionId === event.submissionId);
    const { workflowId } = started.payload;

    // Each would answer 200 or 202 (or at least not 401) if the route were open.
    const routes: [string, (headers: Record<string, string>) => Promise<{ status: number; body: any; headers: Record<string, string> }>][] = [
      ['GET /api/workflows', (h) => orchestrator.http.get(`/api/workflows?submissionId=${event.submissionId}`).set(h)],
      ['GET /api/workflows/:id', (h) => orchestrator.http.get(`/api/workflows/${workflowId}`).set(h)],
      ['POST /api/workflows', (h) => orchestrator.http.post('/api/workflows').set(h).send({ submissionId: event.submissionId })],
      ['POST /api/workflows/:id/cancel', (h) => orchestrator.http.post(`/api/workflows/${workflowId}/cancel`).set(h)],
    ];
    const expired = bearer(await auth.mint({ roles: ['operator'], expiresIn: -120 }));
    const forged = bearer(await auth.tampered());
    const client = bearer(await auth.mint({ roles: ['client'] }));
    const machine = bearer(await auth.mint({ roles: ['service'] }));
    for (const [name, call] of routes) {
      const anonymous = await call({});
      expect({ name, status: anonymous.status }).toEqual({ name, status: 401 });
      expect(anonymous.headers['www-authenticate']).toBe('Bearer');
      expect(anonymous.body).not.toHaveProperty('steps');
      for (const [who, headers, status] of [['expired', expired, 401], ['tampered', forged, 401], ['client', client, 403], ['service', machine, 403]] as const) {
        expect({ name, who, status: (await call(headers)).status }).toEqual({ name, who, status });
      }
    }

    // Nothing was cancelled or re-run: the one workflow is still running, and an operator may cancel it.
    expect((await workflowsOf(event.submissionId)).map((w: { run: number; status: string }) => `${w.run}:${w.status}`)).toEqual(['1:running']);
    const cancelled = await asStaff.post(`/api/workflows/${workflowId}/cancel`).expect(200);
    expect(cancelled.body.status).toBe('cancelled');
  });
});
