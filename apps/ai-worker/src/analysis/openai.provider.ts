import { Logger } from '@nestjs/common';
import CircuitBreaker from 'opossum';
import { circuitOpen } from './analysis.metrics';
import type { ClassifyOutput, ExtractOutput, Locale, ProposeOutput, SummarizeOutput } from '@statex/contracts';
import type { AnalysisProvider, ProposeInput, ProviderAnswer } from './analysis.provider';

export interface OpenAiOptions {
  baseUrl: string;
  apiKey: string;
  model: string;
  timeoutMs: number;
  maxRetries: number;
  categories: string[];
}

interface ChatAnswer {
  choices?: { message?: { content?: string } }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number };
}

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** The longest wait a Retry-After can impose before the step falls back to local instead. */
const RETRY_AFTER_CAP_MS = 5_000;

/**
 * Any OpenAI-compatible chat-completions endpoint (OpenAI, Ollama, vLLM): JSON output checked
 * against the step's shape, timeouts, retries of 429/5xx, and a circuit breaker so a dead
 * endpoint is not waited on for every step. Every failure is an error for the caller to fall back on.
 */
export class OpenAiProvider implements AnalysisProvider {
  readonly name = 'openai';
  private readonly logger = new Logger(OpenAiProvider.name);
  readonly breaker: CircuitBreaker<[string, string, (value: unknown) => boolean], { json: unknown; usage: ChatAnswer['usage'] }>;

  constructor(private readonly options: OpenAiOptions) {
    // An answer of the wrong shape counts as a failure too: a model that keeps answering nonsense opens the circuit.
    this.breaker = new CircuitBreaker(async (system: string, user: string, valid: (value: unknown) => boolean) => {
      const answer = await this.complete(system, user);
      if (!valid(answer.json)) throw new Error(`The model answered JSON of the wrong shape: ${JSON.stringify(answer.json).slice(0, 200)}`);
      return answer;
    }, {
      timeout: false,
      errorThresholdPercentage: 50,
      volumeThreshold: 4,
      resetTimeout: 30_000,
    });
    circuitOpen.set({ provider: this.name }, 0);
    this.breaker.on('open', () => {
      circuitOpen.set({ provider: this.name }, 1);
      this.logger.warn('Circuit open: the AI endpoint keeps failing; using local until it recovers');
    });
    this.breaker.on('halfOpen', () => circuitOpen.set({ provider: this.name }, 0));
    this.breaker.on('close', () => circuitOpen.set({ provider: this.name }, 0));
  }

  async extract(text: string): Promise<ProviderAnswer<ExtractOutput>> {
    return this.ask(
      'Extract from the customer request: language ("en" or "cs"), entities {emails, phones, urls, money, dates, organisations} (arrays of strings), keywords (array), sentiment (-1..1), urgency ("low", "normal" or "high"). Answer with JSON only.',
      text,
      (v): v is ExtractOutput => {
        const o = v as ExtractOutput;
        return ['en', 'cs'].includes(o?.language) && typeof o.entities === 'object' && o.entities !== null &&
          ['emails', 'phones', 'urls', 'money', 'dates', 'organisations'].every((k) => isStringArray((o.entities as unknown as Record<string, unknown>)[k])) &&
          isStringArray(o.keywords) && typeof o.sentiment === 'number' && ['low', 'normal', 'high'].includes(o.urgency);
      },
    );
  }

  async classify(text: string): Promise<ProviderAnswer<ClassifyOutput>> {
    const categories = [...this.options.categories, 'other'];
    const answer = await this.ask(
      `Classify the customer request into exactly one of: ${categories.join(', ')}. Answer with JSON {"category": string, "confidence": number between 0 and 1}.`,
      text,
      (v): v is { category: string; confidence: number } => {
        const o = v as { category?: unknown; confidence?: unknown };
        return typeof o?.category === 'string' && categories.includes(o.category) && typeof o.confidence === 'number' && o.confidence >= 0 && o.confidence <= 1;
      },
    );
    return { ...answer, output: { ...answer.output, scores: { [answer.output.category]: answer.output.confidence } } };
  }

  async summarize(text: string, locale: Locale): Promise<ProviderAnswer<SummarizeOutput>> {
    return this.ask(
      `Summarise the customer request in at most two sentences, in ${locale === 'cs' ? 'Czech' : 'English'}. Answer with JSON {"summary": string}.`,
      text,
      (v): v is SummarizeOutput => typeof (v as SummarizeOutput)?.summary === 'string' && (v as SummarizeOutput).summary.trim().length > 0,
    );
  }

  async propose(input: ProposeInput): Promise<ProviderAnswer<ProposeOutput>> {
    return this.ask(
      `Write a short, friendly first reply from a software agency to ${input.name}, in ${input.locale === 'cs' ? 'Czech' : 'English'}, proposing next steps. Answer with JSON {"proposal": string}.`,
      JSON.stringify({ category: input.classify.category, summary: input.summarize.summary, entities: input.extract.entities, urgency: input.extract.urgency }),
      (v): v is ProposeOutput => typeof (v as ProposeOutput)?.proposal === 'string' && (v as ProposeOutput).proposal.trim().length > 0,
    );
  }

  private async ask<T>(system: string, user: string, valid: (value: unknown) => value is T): Promise<ProviderAnswer<T>> {
    const { json, usage } = await this.breaker.fire(system, user, valid);
    return {
      output: json as T,
      model: this.options.model,
      usage: usage ? { promptTokens: usage.prompt_tokens ?? 0, completionTokens: usage.completion_tokens ?? 0 } : undefined,
    };
  }

  /** One chat completion, retried on 429 and 5xx with backoff (or the server's Retry-After). */
  private async complete(system: string, user: string): Promise<{ json: unknown; usage: ChatAnswer['usage'] }> {
    const url = `${this.options.baseUrl.replace(/\/$/, '')}/chat/completions`;
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}) },
          body: JSON.stringify({
            model: this.options.model,
            temperature: 0,
            response_format: { type: 'json_object' },
            messages: [
              { role: 'system', content: system },
              { role: 'user', content: user },
            ],
          }),
          signal: AbortSignal.timeout(this.options.timeoutMs),
        });
      } catch (error) {
        const reason = (error as Error).name === 'TimeoutError' ? `timed out after ${this.options.timeoutMs} ms` : (error as Error).message;
        throw new Error(`AI endpoint unreachable: ${reason}`);
      }
      if ((res.status === 429 || res.status >= 500) && attempt < this.options.maxRetries) {
        // The server's Retry-After, but never more than RETRY_AFTER_CAP_MS: past that, local answers sooner.
        const retryAfter = Number(res.headers.get('retry-after'));
        await new Promise((r) => setTimeout(r, Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter * 1000, RETRY_AFTER_CAP_MS) : 250 * 2 ** attempt));
        continue;
      }
      if (!res.ok) throw new Error(`AI endpoint answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
      const answer = (await res.json()) as ChatAnswer;
      const content = answer.choices?.[0]?.message?.content ?? '';
      try {
        return { json: JSON.parse(content), usage: answer.usage };
      } catch {
        throw new Error(`The model did not answer JSON: ${content.slice(0, 200)}`);
      }
    }
  }
}
