import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RoutingKey } from '@statex/contracts';
import { AuthStandIn, bearer, BrokerProbe, PgStatementCounter, removeTestNamespace, ServiceUnderTest, startServiceForTest, testEnv, uniqueNamespace } from '@statex/testing';
import { aiOrchestratorService } from '../apps/ai-orchestrator/src/ai-orchestrator.app';
import { AiOrchestratorEnv } from '../apps/ai-orchestrator/src/ai-orchestrator.env';
import { WorkflowService } from '../apps/ai-orchestrator/src/workflows/workflow.service';
import { aiWorkerService } from '../apps/ai-worker/src/ai-worker.app';
import { AiWorkerEnv } from '../apps/ai-worker/src/ai-worker.env';
import { explodingStepWorker, requestCreated } from './analysis-support';


/**
 * A workflow ends when its last step ends (the queue's events wake the orchestrator), not at the next
 * poll: here the poll runs once at start and then not for ten minutes, so every workflow below ends
 * only if the events do it.
 */
describe('ai-orchestrator woken by its steps (real PostgreSQL, RabbitMQ, Redis)', () => {
  const namespace = uniqueNamespace('wake');
  const probe = new BrokerProbe(namespace);
  const auth = new AuthStandIn();
  let orchestrator: ServiceUnderTest | undefined;
  let worker: ServiceUnderTest | undefined;
  let operator: Record<string, string>;
  const workflowsOf = async (submissionId: string) => (await orchestrator!.http.get(`/api/workflows?submissionId=${submissionId}`).set(operator).expect(200)).body;

  beforeAll(async () => {
    await probe.start();
    await auth.start();
    operator = bearer(await auth.mint({ roles: ['operator'], expiresIn: 3600 }));
    orchestrator = await startServiceForTest(
      aiOrchestratorService,
      testEnv(AiOrchestratorEnv, namespace, { ...auth.env, AI_ORCHESTRATOR_POLL_MS: 600_000, AI_STEP_ATTEMPTS: 2, AI_STEP_BACKOFF_MS: 100, AI_MAX_RUNNING_WORKFLOWS: 2 }),
    );
  });

  afterAll(async () => {
    await worker?.app.close();
    await orchestrator?.app.close();
    await auth.stop();
    await removeTestNamespace(namespace);
    await probe.cleanup(['ai-orchestrator']);
    await probe.stop();
  });

  it('ends each workflow once its last step completes, its steps and its end in one statement, and starts the next lead in its slot', async () => {
    worker = await startServiceForTest(aiWorkerService, testEnv(AiWorkerEnv, namespace, { STORAGE_LOCAL_DIR: mkdtempSync(join(tmpdir(), 'statex-wake-')) }), { consume: false });
    // Every statement of each workflow's reconciliations, labelled with its lead.
    const counter = new PgStatementCounter();
    counter.labelCalls(WorkflowService.prototype as unknown as { reconcileOne: unknown }, 'reconcileOne', (workflow: { submissionId: string }) => workflow.submissionId);
    try {
      // Four leads through two slots: the last two start only when the first two have been seen to end.
      const leads = [requestCreated('We need a website.'), requestCreated('We need a mobile app.'), requestCreated('We need an e-shop.'), requestCreated('Integrate our ERP.')];
      for (const lead of leads) await probe.publish(RoutingKey.RequestCreated, lead, { correlationId: lead.submissionId });
      for (const lead of leads) await probe.waitForEvent(RoutingKey.AiAnalysisCompleted, (m) => m.payload.submissionId === lead.submissionId, 15_000);
      for (const lead of leads) {
        const [workflow] = await workflowsOf(lead.submissionId);
        expect(workflow.status).toBe('completed');
        expect(workflow.steps).toHaveLength(4);
        for (const step of workflow.steps) expect(step).toMatchObject({ status: 'completed', attempts: 1, progress: 100, provider: 'local', output: expect.any(Object) });
        // Woken once, by propose: its four steps, its end and ai.analysis.completed in one statement.
        expect(counter.of(lead.submissionId)).toEqual([expect.stringContaining('WITH finished AS')]);
      }
    } finally {
      counter.restore();
      await worker.app.close();
      worker = undefined;
    }
  });

  it('fails a workflow once a step has failed for good', async () => {
    const failing = explodingStepWorker(namespace);
    try {
      const lead = requestCreated('We need a booking system.');
      await probe.publish(RoutingKey.RequestCreated, lead, { correlationId: lead.submissionId });
      const failed = await probe.waitForEvent(RoutingKey.AiAnalysisFailed, (m) => m.payload.submissionId === lead.submissionId, 15_000);
      expect(failed.payload.reason).toMatch(/failed after 2 attempt\(s\): provider exploded on/);
      expect((await workflowsOf(lead.submissionId))[0].status).toBe('failed');
    } finally {
      await failing.close();
    }
  });
});
