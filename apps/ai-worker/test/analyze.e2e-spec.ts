import { BrokerProbe, ServiceUnderTest, startServiceForTest, testEnv, uniqueNamespace } from '@statex/testing';
import { aiWorkerService } from '../src/ai-worker.app';
import { AiWorkerEnv } from '../src/ai-worker.env';

describe('ai-worker POST /api/analyze', () => {
  const namespace = uniqueNamespace('anz');
  let worker: ServiceUnderTest;

  beforeAll(async () => {
    worker = await startServiceForTest(aiWorkerService, testEnv(AiWorkerEnv, namespace), { consume: false });
  });

  afterAll(async () => {
    await worker?.app.close();
    const probe = await new BrokerProbe(namespace).start();
    await probe.cleanup(['ai-worker']);
    await probe.stop();
  });

  it('analyses a text synchronously: entities, category, summary and a proposal in its language', async () => {
    const res = await worker.http
      .post('/api/analyze')
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
    expect((await worker.http.post('/api/analyze').send({}).expect(400)).body.message).toContain('text');
    await worker.http.post('/api/analyze').send({ text: 'hi', model: 'x' }).expect(400);
  });
});
