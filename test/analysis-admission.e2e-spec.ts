import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RequestCreatedEvent, RoutingKey } from '@statex/contracts';
import { AuthStandIn, bearer, BrokerProbe, queryDatabase, removeTestNamespace, ServiceUnderTest, sleep, startServiceForTest, testEnv, uniqueNamespace, waitFor } from '@statex/testing';
import { aiOrchestratorService } from '../apps/ai-orchestrator/src/ai-orchestrator.app';
import { AiOrchestratorEnv } from '../apps/ai-orchestrator/src/ai-orchestrator.env';
import { aiWorkerService } from '../apps/ai-worker/src/ai-worker.app';
import { AiWorkerEnv } from '../apps/ai-worker/src/ai-worker.env';
import { requestCreated } from './analysis-support';


/** AI_MAX_RUNNING_WORKFLOWS: a lead over the limit waits in its queue, and starts when a running workflow ends. */
describe('ai-orchestrator admission (real PostgreSQL, RabbitMQ, Redis)', () => {
  const namespace = uniqueNamespace('adm');
  const probe = new BrokerProbe(namespace);
  const auth = new AuthStandIn();
  const storageDir = mkdtempSync(join(tmpdir(), 'statex-admission-'));
  let orchestrator: ServiceUnderTest | undefined;
  let worker: ServiceUnderTest | undefined;
  let operator: Record<string, string>;

  const started = (submissionId: string) => probe.messages(RoutingKey.AiAnalysisStarted, (m) => m.payload.submissionId === submissionId);
  const workflowsOf = async (submissionId: string) => (await orchestrator!.http.get(`/api/workflows?submissionId=${submissionId}`).set(operator).expect(200)).body as Array<{ id: string; status: string }>;
  const publish = async (...events: RequestCreatedEvent[]) => {
    for (const event of events) await probe.publish(RoutingKey.RequestCreated, event, { correlationId: event.submissionId });
  };

  beforeAll(async () => {
    await probe.start();
    await auth.start();
    operator = bearer(await auth.mint({ roles: ['operator'], expiresIn: 3600 }));
    orchestrator = await startServiceForTest(aiOrchestratorService, testEnv(AiOrchestratorEnv, namespace, { ...auth.env, AI_MAX_RUNNING_WORKFLOWS: 2, AI_ORCHESTRATOR_POLL_MS: 100 }));
  });

  afterAll(async () => {
    await worker?.app.close();
    await orchestrator?.app.close();
    await auth.stop();
    await removeTestNamespace(namespace);
    await probe.cleanup(['ai-orchestrator']);
    await probe.stop();
  });

  it('starts no more than the limit; the next lead starts when one ends, and every lead is analysed', async () => {
    const leads = [requestCreated('We need a website.'), requestCreated('We need a mobile app.'), requestCreated('We need an e-shop.')];
    await publish(...leads);
    await waitFor(async () => leads.filter((l) => started(l.submissionId).length > 0).length === 2, { what: 'two workflows started' });
    // No worker runs, so both stay running; twenty reconciliations later the third still waits.
    await sleep(2000);
    const waiting = leads.filter((l) => started(l.submissionId).length === 0);
    expect(waiting).toHaveLength(1);
    expect(await workflowsOf(waiting[0].submissionId)).toEqual([]);

    // One ends (an operator cancels it): the waiting lead takes its place.
    const [first] = await workflowsOf(leads.find((l) => started(l.submissionId).length > 0)!.submissionId);
    await orchestrator!.http.post(`/api/workflows/${first.id}/cancel`).set(operator).expect(200);
    await probe.waitForEvent(RoutingKey.AiAnalysisStarted, (m) => m.payload.submissionId === waiting[0].submissionId);

    // A worker comes: the two running ones complete, and nothing was lost on the way.
    worker = await startServiceForTest(aiWorkerService, testEnv(AiWorkerEnv, namespace, { STORAGE_LOCAL_DIR: storageDir }), { consume: false });
    const others = leads.filter((l) => started(l.submissionId)[0]?.payload.workflowId !== first.id);
    expect(others).toHaveLength(2);
    for (const lead of others) await probe.waitForEvent(RoutingKey.AiAnalysisCompleted, (m) => m.payload.submissionId === lead.submissionId, 20_000);
    for (const lead of leads) expect(await workflowsOf(lead.submissionId)).toHaveLength(1);
    await worker.app.close();
    worker = undefined;
  });

  it('a lead waiting for a slot does not hold up the shutdown, and its workflow starts before the service stops', async () => {
    const leads = [requestCreated('Integrate our ERP.'), requestCreated('Migrate our CRM.'), requestCreated('Build a booking system.')];
    await publish(...leads);
    await waitFor(async () => leads.filter((l) => started(l.submissionId).length > 0).length === 2, { what: 'two workflows started' });
    await sleep(500);
    const waiting = leads.filter((l) => started(l.submissionId).length === 0);
    expect(waiting).toHaveLength(1);

    const closing = Date.now();
    await orchestrator!.app.close();
    orchestrator = undefined;
    // The consumer's drain waits up to 10 s for what it holds; the waiting lead was let through at once.
    expect(Date.now() - closing).toBeLessThan(5000);
    const rows = await queryDatabase<{ status: string }>(`${namespace}_ai_orchestrator`, 'SELECT status FROM workflows WHERE submission_id = $1', [waiting[0].submissionId]);
    expect(rows).toEqual([{ status: 'running' }]);
  });
});
