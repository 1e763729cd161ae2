import { Injectable } from '@nestjs/common';
import type { WinkMethods } from 'wink-nlp';
import type { ClassifyOutput, Entities, ExtractOutput, Locale, ProposeOutput, SummarizeOutput } from '@statex/contracts';
import type { AnalysisProvider, ProposeInput, ProviderAnswer } from '../analysis.provider';
import { CATEGORY_LEXICON, CZECH_HINTS, ENGLISH_HINTS, foldDiacritics, STOPWORDS, URGENCY_PATTERNS } from './lexicon';
import { proposalDraft } from './proposal.templates';

const MODEL = 'wink-eng-lite-web-model';

/**
 * The entity patterns, written to run in linear time on any text: every repetition is bounded,
 * a match can only start where the thing it looks for starts (a lookbehind refuses the middle of
 * a run), and no two alternatives or adjacent quantifiers can take the same characters. So each
 * start position costs at most a constant number of steps, whatever the input
 * (linear-time.spec.ts times them on the worst inputs we know). Plain V8 regexes written so need no
 * linear-time engine (re2 would add a native build for what bounded patterns already give).
 */
export const PATTERNS = {
  // local part ≤ 64, domain labels ≤ 63, at most 8 of them (RFC 5321's limits).
  email: /(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}(?![\w-])/g,
  url: /\bhttps?:\/\/[^\s,;)]{1,2048}/g,
  // 8 to 20 digits, single spaces between them, not inside a longer run of digits.
  phone: /(?<![\d+])\+?\d(?: ?\d){7,19}(?!\d)/g,
  // An amount (digits with single separators, at most 20) then an optional multiplier and a currency, or a currency then an amount.
  money: /(?<![\d.,])\d(?:[.,]?\d|\s(?=\d)){0,20}\s?(?:k|tis\.?|mil\.?)?\s?(?:eur|usd|czk|kč|€|\$)|[€$]\s?\d(?:[.,]?\d){0,20}\s?k?/gi,
  date: /\b\d{1,2}\.\s?\d{1,2}\.\s?\d{4}\b/g,
  // Up to six capitalised words (each at most 40 characters) before a legal form.
  organisation: /(?<![\w&-])[A-Z][\w&-]{0,40}(?:\s[A-Z][\w&-]{0,40}){0,5}\s(?:s\.r\.o\.|a\.s\.|Ltd\.?|Inc\.?|GmbH|LLC|Corp\.?)/g,
} as const;

/**
 * The most text the local provider reads (AnalysisService caps every provider's input at
 * AI_ANALYSIS_MAX_CHARS first; this is the provider's own bound). With the linear patterns, the
 * slowest step on the worst text of this size blocks the event loop for a few hundred ms at most.
 */
export const LOCAL_MAX_CHARS = 50_000;
/** wink-nlp's tokenizer is quadratic in the length of one word: it sees words cut to this length. */
const WINK_MAX_WORD = 100;
/**
 * wink-nlp (entities, sentiment, sentences) reads the first 20,000 characters: its time grows with
 * the number of tokens, and 50,000 characters of "1. 1. …" took 350 ms in one block. The patterns
 * below still read all LOCAL_MAX_CHARS; the message comes first in the text, attachments after it.
 */
const WINK_MAX_CHARS = 20_000;

/** What the local provider reads: at most LOCAL_MAX_CHARS characters. */
function capped(text: string): string {
  return text.length > LOCAL_MAX_CHARS ? text.slice(0, LOCAL_MAX_CHARS) : text;
}

/** What wink-nlp reads: the first WINK_MAX_CHARS, every run of non-space characters cut to WINK_MAX_WORD (a start-anchored, linear match). */
function forWink(text: string): string {
  return text.slice(0, WINK_MAX_CHARS).replace(/(?<!\S)\S{101,}/g, (word) => word.slice(0, WINK_MAX_WORD));
}

/** Lets the event loop run between the parts of a step (health checks, BullMQ's lock renewals). */
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function matches(text: string, pattern: RegExp): string[] {
  return text.match(pattern) ?? [];
}

/** Without a regex: `[.,;:!?]+$` is quadratic on a long run of dots. */
function trimTrailingPunctuation(url: string): string {
  let end = url.length;
  while (end > 0 && '.,;:!?'.includes(url[end - 1])) end--;
  return url.slice(0, end);
}
const unique = (values: string[]) => [...new Set(values.map((v) => v.trim()).filter(Boolean))];

/**
 * Offline analysis with wink-nlp and its English model, plus lexicons and patterns that
 * also cover Czech. Deterministic: the same text always gives the same answer.
 */
@Injectable()
export class LocalProvider implements AnalysisProvider {
  readonly name = 'local';
  private loaded?: WinkMethods;

  /**
   * wink-nlp with its English model, loaded on the first analysis: the model is about 17 MB of
   * the worker's memory, which an idle worker, or one whose provider is a remote model, never needs.
   */
  private get nlp(): WinkMethods {
    if (!this.loaded) {
      // Both are CommonJS: wink-nlp's module is the function itself.
      const winkNLP = require('wink-nlp') as typeof import('wink-nlp').default;
      this.loaded = winkNLP(require(MODEL) as import('wink-nlp').Model);
    }
    return this.loaded;
  }

  private readonly lexicon: Record<string, [RegExp, number][]>;

  /**
   * @param categories the services to choose from (`AI_CATEGORIES`); `other` when none fits.
   * @param keywords more keywords per category (`AI_CATEGORY_KEYWORDS`), for services beyond the built-in lexicon.
   */
  constructor(
    private readonly categories: string[] = Object.keys(CATEGORY_LEXICON),
    keywords: Record<string, [RegExp, number][]> = {},
  ) {
    this.lexicon = Object.fromEntries(categories.map((c) => [c, [...(CATEGORY_LEXICON[c] ?? []), ...(keywords[c] ?? [])]]));
  }

  /** Configured categories this provider has no words for, so can never choose. */
  unknownCategories(): string[] {
    return this.categories.filter((c) => c !== 'other' && this.lexicon[c].length === 0);
  }

  async extract(input: string): Promise<ProviderAnswer<ExtractOutput>> {
    const text = capped(input);
    const its = this.nlp.its;
    const doc = this.nlp.readDoc(forWink(text));
    const found = doc.entities().out(its.detail) as unknown as { value: string; type: string }[];
    const sentiment = doc.out(its.sentiment) as unknown as number;
    await yieldToLoop();
    const byType = (type: string) => found.filter((e) => e.type === type).map((e) => e.value);
    const entities: Entities = {
      emails: unique([...byType('EMAIL'), ...matches(text, PATTERNS.email)]),
      urls: unique([...byType('URL'), ...matches(text, PATTERNS.url)].map(trimTrailingPunctuation)),
      phones: unique(matches(text, PATTERNS.phone)),
      money: unique([...byType('MONEY'), ...matches(text, PATTERNS.money)]),
      dates: unique([...byType('DATE'), ...matches(text, PATTERNS.date)]),
      organisations: unique(matches(text, PATTERNS.organisation)),
    };
    const output: ExtractOutput = {
      language: this.language(text),
      entities,
      keywords: this.keywords(text),
      sentiment: Math.round(sentiment * 100) / 100,
      urgency: URGENCY_PATTERNS.test(foldDiacritics(text)) ? 'high' : 'normal',
    };
    return { output, model: MODEL };
  }

  async classify(text: string): Promise<ProviderAnswer<ClassifyOutput>> {
    const folded = foldDiacritics(capped(text));
    const scores: Record<string, number> = {};
    for (const [category, patterns] of Object.entries(this.lexicon)) {
      let score = 0;
      for (const [pattern, weight] of patterns) {
        const matches = folded.match(new RegExp(pattern.source, 'g'));
        if (matches) score += weight * Math.min(matches.length, 3);
      }
      if (score > 0) scores[category] = score;
    }
    const ranked = Object.entries(scores).sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
    if (ranked.length === 0) return { output: { category: 'other', confidence: 0.5, scores }, model: MODEL };
    const [category, best] = ranked[0];
    const total = ranked.reduce((sum, [, s]) => sum + s, 0);
    const confidence = Math.round(Math.min(0.99, (best / total) * Math.min(1, 0.55 + best / 8)) * 100) / 100;
    return { output: { category, confidence, scores }, model: MODEL };
  }

  async summarize(input: string): Promise<ProviderAnswer<SummarizeOutput>> {
    const text = forWink(capped(input));
    const sentences = this.nlp.readDoc(text).sentences().out() as string[];
    await yieldToLoop();
    if (sentences.length <= 2) return { output: { summary: clip(sentences.join(' ')) }, model: MODEL };
    const weights = new Map(this.keywords(text, 20).map((k, i) => [k, 20 - i]));
    const scored = sentences.map((sentence, index) => ({
      sentence,
      index,
      score: tokens(sentence).reduce((sum, t) => sum + (weights.get(t) ?? 0), 0) / Math.sqrt(tokens(sentence).length + 1) + (index === 0 ? 2 : 0),
    }));
    const chosen = scored.sort((a, b) => b.score - a.score || a.index - b.index).slice(0, 2).sort((a, b) => a.index - b.index);
    return { output: { summary: clip(chosen.map((c) => c.sentence).join(' ')) }, model: MODEL };
  }

  async propose(input: ProposeInput): Promise<ProviderAnswer<ProposeOutput>> {
    const proposal = proposalDraft(input.locale, {
      name: input.name,
      category: input.classify.category,
      summary: input.summarize.summary,
      budget: input.extract.entities.money[0],
      deadline: input.extract.entities.dates[0],
      urgent: input.extract.urgency === 'high',
    });
    return { output: { proposal }, model: MODEL };
  }

  private language(text: string): Locale {
    const cs = (text.toLowerCase().match(CZECH_HINTS) ?? []).length;
    const en = (text.toLowerCase().match(ENGLISH_HINTS) ?? []).length;
    return cs > en ? 'cs' : 'en';
  }

  private keywords(text: string, limit = 8): string[] {
    const counts = new Map<string, number>();
    for (const token of tokens(text)) {
      if (token.length < 3 || STOPWORDS.has(token) || /^\d+$/.test(token)) continue;
      counts.set(token, (counts.get(token) ?? 0) + 1);
    }
    return [...counts.entries()].sort(([a, x], [b, y]) => y - x || a.localeCompare(b)).slice(0, limit).map(([t]) => t);
  }
}

function tokens(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}][\p{L}\p{N}-]*/gu) ?? [];
}

function clip(text: string, max = 400): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
