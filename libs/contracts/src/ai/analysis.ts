import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { Locale } from '../contact-channel';

/** The agency's default service list; `other` when nothing fits. */
export const DEFAULT_CATEGORIES = ['website', 'e-commerce', 'mobile-app', 'ai-automation', 'data-analytics', 'integration', 'consulting', 'other'] as const;

/** How a lead reads each default service, per locale (Czech in the accusative: "hledáte …"). */
export const SERVICE_LABELS: Record<Locale, Record<string, string>> = {
  en: {
    website: 'a website',
    'e-commerce': 'an online shop',
    'mobile-app': 'a mobile app',
    'ai-automation': 'AI automation',
    'data-analytics': 'data analytics and reporting',
    integration: 'a systems integration',
    consulting: 'technology consulting',
  },
  cs: {
    website: 'webové stránky',
    'e-commerce': 'e-shop',
    'mobile-app': 'mobilní aplikaci',
    'ai-automation': 'automatizaci s AI',
    'data-analytics': 'datovou analytiku a reporting',
    integration: 'propojení systémů',
    consulting: 'technologické poradenství',
  },
};

/** The lead-facing name of a category; undefined for `other` and categories without a label. */
export const serviceLabel = (category: string, locale: Locale): string | undefined => SERVICE_LABELS[locale][category];

/** The BullMQ queue the orchestrator puts steps on and ai-workers take them from. */
export const AI_STEPS_QUEUE = 'ai-steps';

export const ANALYSIS_STEPS = ['extract', 'classify', 'summarize', 'propose'] as const;
export type AnalysisStep = (typeof ANALYSIS_STEPS)[number];

/** What a step job carries: everything a stateless worker needs. */
export interface StepJobData {
  workflowId: string;
  submissionId: string;
  step: AnalysisStep;
  text: string;
  locale: Locale;
  name: string;
  /** Files whose text is analysed with the message (read by the worker from attachment storage). */
  attachments?: { id: string; fileName: string; contentType: string }[];
}

export class Entities {
  @ApiProperty({ type: [String] }) emails!: string[];
  @ApiProperty({ type: [String] }) phones!: string[];
  @ApiProperty({ type: [String] }) urls!: string[];
  @ApiProperty({ type: [String] }) money!: string[];
  @ApiProperty({ type: [String] }) dates!: string[];
  @ApiProperty({ type: [String] }) organisations!: string[];
}

export class ExtractOutput {
  @ApiProperty({ enum: ['en', 'cs'] }) language!: Locale;
  @ApiProperty({ type: Entities }) entities!: Entities;
  @ApiProperty({ type: [String] }) keywords!: string[];
  @ApiProperty({ description: '-1 (negative) … 1 (positive)' }) sentiment!: number;
  @ApiProperty({ enum: ['low', 'normal', 'high'] }) urgency!: 'low' | 'normal' | 'high';
}

export class ClassifyOutput {
  @ApiProperty() category!: string;
  @ApiProperty({ minimum: 0, maximum: 1 }) confidence!: number;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'number' } }) scores!: Record<string, number>;
}

export class SummarizeOutput {
  @ApiProperty() summary!: string;
}

export class ProposeOutput {
  @ApiProperty() proposal!: string;
}

export interface StepOutputs {
  extract: ExtractOutput;
  classify: ClassifyOutput;
  summarize: SummarizeOutput;
  propose: ProposeOutput;
}

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
}

/** An attachment whose text could not be read (a parser error, or a limit it hit); the analysis went on without it. */
export interface UnreadableAttachment {
  id: string;
  fileName: string;
  reason: string;
}

/** A step job's return value: its output and how it was produced. */
export interface StepResult<S extends AnalysisStep = AnalysisStep> {
  step: S;
  output: StepOutputs[S];
  provider: string;
  model: string;
  usage?: TokenUsage;
  /** Set when the configured provider failed and `local` answered instead. */
  fallback?: { from: string; reason: string };
  durationMs: number;
  /** Which worker process ran it (its pid). */
  worker?: string;
  /** Attachments left out of the analysed text because they could not be read. */
  unreadableAttachments?: UnreadableAttachment[];
}

export class AnalysisResultDto {
  @ApiProperty({ type: ExtractOutput }) extract!: ExtractOutput;
  @ApiProperty({ type: ClassifyOutput }) classify!: ClassifyOutput;
  @ApiProperty({ type: SummarizeOutput }) summarize!: SummarizeOutput;
  @ApiProperty({ type: ProposeOutput }) propose!: ProposeOutput;
  @ApiProperty() provider!: string;
  @ApiPropertyOptional() fallback?: string;
}
