import type { ClassifyOutput, ExtractOutput, Locale, ProposeOutput, SummarizeOutput, TokenUsage } from '@statex/contracts';

export interface ProviderAnswer<T> {
  output: T;
  model: string;
  usage?: TokenUsage;
}

export interface ProposeInput {
  name: string;
  locale: Locale;
  extract: ExtractOutput;
  classify: ClassifyOutput;
  summarize: SummarizeOutput;
}

/** One way of analysing a request; `local` works offline, `openai` calls a chat-completions endpoint. */
export interface AnalysisProvider {
  readonly name: string;
  extract(text: string): Promise<ProviderAnswer<ExtractOutput>>;
  classify(text: string): Promise<ProviderAnswer<ClassifyOutput>>;
  summarize(text: string, locale: Locale): Promise<ProviderAnswer<SummarizeOutput>>;
  propose(input: ProposeInput): Promise<ProviderAnswer<ProposeOutput>>;
}
