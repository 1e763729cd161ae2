import { Injectable, Logger } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import type { AnalysisStep, Locale, StepOutputs, StepResult } from '@statex/contracts';
import { AiWorkerEnv } from '../ai-worker.env';
import { fallbacks } from './analysis.metrics';
import type { AnalysisProvider, ProposeInput, ProviderAnswer } from './analysis.provider';
import { LocalProvider } from './local/local.provider';
import { OpenAiProvider } from './openai.provider';
import { within } from './within';

export interface StepInput {
  text: string;
  locale: Locale;
  name: string;
  /** For `propose`: the results of the three other steps. */
  previous?: Partial<StepOutputs>;
}

/** Runs analysis steps on the configured provider; when it fails, `local` answers and the fallback is recorded. */
@Injectable()
export class AnalysisService {
  private readonly logger = new Logger(AnalysisService.name);
  readonly primary: AnalysisProvider;
  private readonly maxChars: number;

  constructor(
    private readonly local: LocalProvider,
    env: AiWorkerEnv,
  ) {
    this.maxChars = env.AI_ANALYSIS_MAX_CHARS;
    this.primary =
      env.AI_PROVIDER === 'openai'
        ? new OpenAiProvider({
            baseUrl: env.AI_BASE_URL,
            apiKey: env.AI_API_KEY,
            model: env.AI_MODEL,
            timeoutMs: env.AI_TIMEOUT_MS,
            maxRetries: env.AI_MAX_RETRIES,
            categories: env.AI_CATEGORIES.split(','),
          })
        : local;
    const unknown = local.unknownCategories();
    if (unknown.length > 0) {
      const problem = `AI_CATEGORIES names ${unknown.join(', ')}, for which the local provider has no keywords: add them in AI_CATEGORY_KEYWORDS`;
      // With local as the provider such a category could never be chosen; as the fallback it only narrows the choice.
      if (this.primary === local) throw new Error(problem);
      this.logger.warn(problem);
    }
  }

  /**
   * `budgetMs`: how long the configured provider may take before local answers instead, so a slow
   * model costs the lead time but never their analysis (the step's own timeout comes later).
   */
  async run<S extends AnalysisStep>(step: S, given: StepInput, budgetMs?: number): Promise<StepResult<S>> {
    const started = Date.now();
    // Every provider reads at most AI_ANALYSIS_MAX_CHARS (POST /api/analyze accepts 50,000).
    const input = given.text.length > this.maxChars ? { ...given, text: given.text.slice(0, this.maxChars) } : given;
    try {
      const call = this.call(this.primary, step, input);
      const answer = this.primary === this.local || budgetMs === undefined ? await call : await within(call, budgetMs, `no answer within ${Math.max(0, Math.round(budgetMs))} ms, the step's budget for it`);
      return { step, output: answer.output, provider: this.primary.name, model: answer.model, usage: answer.usage, durationMs: Date.now() - started };
    } catch (error) {
      if (this.primary === this.local) throw error;
      const reason = (error as Error).message;
      this.logger.warn(`${this.primary.name} failed on ${step}, falling back to local: ${reason}`);
      const answer = await this.call(this.local, step, input);
      fallbacks.inc({ step, from: this.primary.name });
      return { step, output: answer.output, provider: this.local.name, model: answer.model, fallback: { from: this.primary.name, reason }, durationMs: Date.now() - started };
    }
  }

  /**
   * All four steps in the workflow's shape: extract, classify and summarize at once, then propose.
   * Without a locale, the proposal is written in the language extract detected.
   */
  async analyze(input: Omit<StepInput, 'locale'> & { locale?: Locale }): Promise<{ [S in AnalysisStep]: StepResult<S> }> {
    const first = { ...input, locale: input.locale ?? 'en' };
    const [extract, classify, summarize] = await Promise.all([this.run('extract', first), this.run('classify', first), this.run('summarize', first)]);
    const locale = input.locale ?? extract.output.language;
    const propose = await this.run('propose', { ...first, locale, previous: { extract: extract.output, classify: classify.output, summarize: summarize.output } });
    return { extract, classify, summarize, propose };
  }

  private call<S extends AnalysisStep>(provider: AnalysisProvider, step: S, input: StepInput): Promise<ProviderAnswer<StepOutputs[S]>> {
    switch (step) {
      case 'extract':
        return provider.extract(input.text) as Promise<ProviderAnswer<StepOutputs[S]>>;
      case 'classify':
        return provider.classify(input.text) as Promise<ProviderAnswer<StepOutputs[S]>>;
      case 'summarize':
        return provider.summarize(input.text, input.locale) as Promise<ProviderAnswer<StepOutputs[S]>>;
      default: {
        const previous = input.previous ?? {};
        // Missing results never arrive by retrying (its workflow ended and took them): no retries.
        if (!previous.extract || !previous.classify || !previous.summarize) throw new UnrecoverableError('propose needs the results of extract, classify and summarize');
        const proposeInput: ProposeInput = { name: input.name, locale: input.locale, extract: previous.extract, classify: previous.classify, summarize: previous.summarize };
        return provider.propose(proposeInput) as Promise<ProviderAnswer<StepOutputs[S]>>;
      }
    }
  }
}
