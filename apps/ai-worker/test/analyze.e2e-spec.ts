import { AuthStandIn, bearer, BrokerProbe, ServiceUnderTest, startServiceForTest, testEnv, uniqueNamespace } from '@statex/testing';
import { aiWorkerService } from '../src/ai-worker.app';
import { AiWorkerEnv } from '../src/ai-worker.env';

describe('ai-worker POST /api/analyze', () => {
  const namespace = uniqueNamespace('anz');
  const auth = new AuthStandIn();
  let worker: ServiceUnderTest;
  /** The route is for staff: operators and admins. */
  let operator: Record<string, string>;
  const analyze = () => worker.http.post('/api/analyze').set(operator);

  beforeAll(async () => {
    await auth.start();
    operator = bearer(await auth.mint({ roles: ['operator'] }));
    worker = await startServiceForTest(aiWorkerService, testEnv(AiWorkerEnv, namespace, auth.env), { consume: false });
  });

  afterAll(async () => {
    await worker?.app.close();
    await auth.stop();
    const probe = await new BrokerProbe(namespace).start();
    await probe.cleanup(['ai-worker']);
    await probe.stop();
  });

  it('analyses a text synchronously: entities, category, summary and a proposal in its language', async () => {
    const res = await analyze()
      .send({ text: 'Potřebujeme e-shop s platební bránou a napojením na Zásilkovnu, rozpočet 300 000 Kč. Spěchá to!', name: 'Petr' })
      .expect(200);
    expect(res.body).toMatchObject({
      provider: 'local',
      extract: { language: 'cs', urgency: 'high', entities: { money: expect.arrayContaining([expect.stringContaining('300 000')]) } },
      classify: { category: 'e-commerce' },
      summarize: { summary: expect.stringContaining('e-shop') },
      propose: { proposal: expect.stringContaining('Dobrý den, Petr') },
    });
    expect(res.body.classify.confidence).toBeGreaterThan(0.5);
  });

  it('answers 400 for a missing text or an unknown field', async () => {
    expect((await analyze().send({}).expect(400)).body.message).toContain('text');
    await analyze().send({ text: 'hi', model: 'x' }).expect(400);
  });

  it('is closed without a staff token: 401 without one (or with a forged one), 403 for a client or a machine client', async () => {
    const body = { text: 'We need an online shop with card payments.' };
    const anonymous = await worker.http.post('/api/analyze').send(body).expect(401);
    expect(anonymous.headers['www-authenticate']).toBe('Bearer');
    expect(anonymous.body).not.toHaveProperty('classify');
    await worker.http.post('/api/analyze').set(bearer(await auth.mint({ roles: ['operator'], expiresIn: -120 }))).send(body).expect(401);
    await worker.http.post('/api/analyze').set(bearer(auth.unsigned())).send(body).expect(401);
    await worker.http.post('/api/analyze').set(bearer(await auth.mint({ roles: ['client'] }))).send(body).expect(403);
    await worker.http.post('/api/analyze').set(bearer(await auth.mint({ roles: ['service'] }))).send(body).expect(403);
    await worker.http.post('/api/analyze').set(bearer(await auth.mint({ roles: ['admin'] }))).send(body).expect(200);
  });
});
