import { register } from 'prom-client';
import { ChatCompletionsStandIn, testEnv, uniqueNamespace } from '@statex/testing';
import { AiWorkerEnv } from '../src/ai-worker.env';
import { AnalysisService } from '../src/analysis/analysis.service';
import { LocalProvider } from '../src/analysis/local/local.provider';
import { OpenAiProvider } from '../src/analysis/openai.provider';

/** A series' value in this process's registry, as /metrics shows it. */
async function sample(name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await register.getMetricsAsJSON()).find((m) => m.name === name);
  const value = (metric?.values as Array<{ labels: Record<string, string>; value: number }> | undefined)?.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return value?.value ?? 0;
}

const TEXT = 'We need an online shop with card payments for our 300 products.';

/** Answers each step's prompt with a well-formed JSON object, as a good model would. */
function goodModel(request: { messages: { role: string; content: string }[] }): string {
  const system = request.messages[0].content;
  if (system.startsWith('Classify')) return JSON.stringify({ category: 'e-commerce', confidence: 0.93 });
  if (system.startsWith('Summarise')) return JSON.stringify({ summary: 'A shop with card payments.' });
  if (system.startsWith('Write')) return JSON.stringify({ proposal: 'Dear lead, let us talk.' });
  return JSON.stringify({ language: 'en', entities: { emails: [], phones: [], urls: [], money: [], dates: [], organisations: [] }, keywords: ['shop'], sentiment: 0.1, urgency: 'normal' });
}

describe('openai provider against a chat-completions stand-in', () => {
  const server = new ChatCompletionsStandIn(goodModel);
  let service: AnalysisService;

  beforeAll(async () => {
    await server.start();
  });

  afterAll(async () => {
    await server.stop();
  });

  beforeEach(() => {
    server.delayMs = 0;
    service = new AnalysisService(
      new LocalProvider(),
      testEnv(AiWorkerEnv, uniqueNamespace('oai'), { AI_PROVIDER: 'openai', AI_BASE_URL: `${server.url}/v1`, AI_API_KEY: 'sk-test', AI_MODEL: 'test-model', AI_TIMEOUT_MS: 500, AI_MAX_RETRIES: 2 }),
    );
  });

  it('uses a good answer, with the model and token usage', async () => {
    const result = await service.run('classify', { text: TEXT, locale: 'en', name: 'Jana' });
    expect(result).toMatchObject({ provider: 'openai', model: 'test-model', output: { category: 'e-commerce', confidence: 0.93 }, usage: { promptTokens: 120, completionTokens: 30 } });
    expect(result.fallback).toBeUndefined();
    const sent = server.requests.at(-1)!;
    expect(sent.headers.authorization).toBe('Bearer sk-test');
    expect(sent.body).toMatchObject({ model: 'test-model', response_format: { type: 'json_object' }, temperature: 0 });
  });

  it('falls back to local, and says so, when the answer is not JSON', async () => {
    server.answerNext(ChatCompletionsStandIn.content('Sure! The category is e-commerce.'));
    const result = await service.run('classify', { text: TEXT, locale: 'en', name: 'Jana' });
    expect(result.provider).toBe('local');
    expect(result.fallback).toMatchObject({ from: 'openai', reason: expect.stringContaining('did not answer JSON') });
    expect(result.output.category).toBe('e-commerce');
  });

  it('falls back to local when the JSON has the wrong shape (nonsense)', async () => {
    server.answerNext(ChatCompletionsStandIn.content(JSON.stringify({ category: 'pizza', confidence: 7 })));
    const result = await service.run('classify', { text: TEXT, locale: 'en', name: 'Jana' });
    expect(result.provider).toBe('local');
    expect(result.fallback?.reason).toContain('wrong shape');
  });

  it('opens the circuit on a model that keeps answering nonsense, so later steps stop asking it', async () => {
    const nonsense = new ChatCompletionsStandIn(() => JSON.stringify({ category: 'pizza', confidence: 7 }));
    await nonsense.start();
    try {
      const confused = new AnalysisService(
        new LocalProvider(),
        testEnv(AiWorkerEnv, uniqueNamespace('oai'), { AI_PROVIDER: 'openai', AI_BASE_URL: `${nonsense.url}/v1`, AI_API_KEY: 'sk-test', AI_TIMEOUT_MS: 500, AI_MAX_RETRIES: 0 }),
      );
      const results = [];
      for (let i = 0; i < 8; i++) results.push(await confused.run('classify', { text: TEXT, locale: 'en', name: 'Jana' }));
      expect(results.every((r) => r.provider === 'local' && r.output.category === 'e-commerce')).toBe(true);
      expect((confused.primary as OpenAiProvider).breaker.opened).toBe(true);
      expect(results[7].fallback?.reason).toContain('Breaker is open');
      expect(nonsense.calls()).toBeLessThan(8);
    } finally {
      await nonsense.stop();
    }
  });

  it('retries a 429 and then uses the answer', async () => {
    server.answerNext(ChatCompletionsStandIn.tooManyRequests(), ChatCompletionsStandIn.tooManyRequests());
    const before = server.calls();
    const result = await service.run('summarize', { text: TEXT, locale: 'en', name: 'Jana' });
    expect(result).toMatchObject({ provider: 'openai', output: { summary: 'A shop with card payments.' } });
    expect(server.calls() - before).toBe(3);
  });

  it('falls back to local when the endpoint times out', async () => {
    server.delayMs = 1500;
    const started = Date.now();
    const result = await service.run('summarize', { text: TEXT, locale: 'en', name: 'Jana' });
    expect(result.provider).toBe('local');
    expect(result.fallback?.reason).toContain('timed out after 500 ms');
    expect(Date.now() - started).toBeLessThan(1400);
  });

  it('falls back to local when the endpoint is down, and the circuit opens so later steps do not wait', async () => {
    const down = new AnalysisService(
      new LocalProvider(),
      testEnv(AiWorkerEnv, uniqueNamespace('oai'), { AI_PROVIDER: 'openai', AI_BASE_URL: 'http://127.0.0.1:9/v1', AI_API_KEY: 'sk-test', AI_TIMEOUT_MS: 500, AI_MAX_RETRIES: 0 }),
    );
    const fallbacksBefore = await sample('statex_ai_fallbacks_total', { step: 'classify', from: 'openai' });
    expect(await sample('statex_ai_circuit_breaker_open', { provider: 'openai' })).toBe(0);
    const results = [];
    for (let i = 0; i < 6; i++) results.push(await down.run('classify', { text: TEXT, locale: 'en', name: 'Jana' }));
    // What the StatexAiFallbacks and StatexAiCircuitOpen alerts read.
    expect((await sample('statex_ai_fallbacks_total', { step: 'classify', from: 'openai' })) - fallbacksBefore).toBe(6);
    expect(await sample('statex_ai_circuit_breaker_open', { provider: 'openai' })).toBe(1);
    expect(results.every((r) => r.provider === 'local' && r.output.category === 'e-commerce')).toBe(true);
    expect(results[0].fallback?.reason).toContain('unreachable');
    expect(results[5].fallback?.reason).toContain('Breaker is open');
    expect((down.primary as OpenAiProvider).breaker.opened).toBe(true);
  });

  it('runs the whole analysis with the model, propose included', async () => {
    const result = await service.analyze({ text: TEXT, locale: 'en', name: 'Jana' });
    expect(result.propose).toMatchObject({ provider: 'openai', output: { proposal: 'Dear lead, let us talk.' } });
    expect(result.extract.output.language).toBe('en');
  });
});
