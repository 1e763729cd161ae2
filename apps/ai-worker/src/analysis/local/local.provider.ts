import { Injectable } from '@nestjs/common';
import winkNLP, { WinkMethods } from 'wink-nlp';
import model from 'wink-eng-lite-web-model';
import type { ClassifyOutput, Entities, ExtractOutput, Locale, ProposeOutput, SummarizeOutput } from '@statex/contracts';
import type { AnalysisProvider, ProposeInput, ProviderAnswer } from '../analysis.provider';
import { CATEGORY_LEXICON, CZECH_HINTS, ENGLISH_HINTS, foldDiacritics, STOPWORDS, URGENCY_PATTERNS } from './lexicon';
import { proposalDraft } from './proposal.templates';

const MODEL = 'wink-eng-lite-web-model';
const unique = (values: string[]) => [...new Set(values.map((v) => v.trim()).filter(Boolean))];

/**
 * Offline analysis with wink-nlp and its English model, plus lexicons and patterns that
 * also cover Czech. Deterministic: the same text always gives the same answer.
 */
@Injectable()
export class LocalProvider implements AnalysisProvider {
  readonly name = 'local';
  private readonly nlp: WinkMethods = winkNLP(model);

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

  async extract(text: string): Promise<ProviderAnswer<ExtractOutput>> {
    const its = this.nlp.its;
    const doc = this.nlp.readDoc(text);
    const found = doc.entities().out(its.detail) as unknown as { value: string; type: string }[];
    const byType = (type: string) => found.filter((e) => e.type === type).map((e) => e.value);
    const entities: Entities = {
      emails: unique([...byType('EMAIL'), ...(text.match(/[\w.+-]+@[\w-]+(\.[\w-]+)+/g) ?? [])]),
      urls: unique([...byType('URL'), ...(text.match(/https?:\/\/[^\s,;)]+/g) ?? [])].map((u) => u.replace(/[.,;:!?]+$/, ''))),
      phones: unique(text.match(/\+?\d[\d ]{7,}\d/g) ?? []),
      money: unique([
        ...byType('MONEY'),
        ...(text.match(/(\d[\d\s.,]*\s?(k|tis\.?|mil\.?)?\s?(eur|usd|czk|kč|€|\$))|([€$]\s?\d[\d.,]*\s?k?)/gi) ?? []),
      ]),
      dates: unique([...byType('DATE'), ...(text.match(/\b\d{1,2}\.\s?\d{1,2}\.\s?\d{4}\b/g) ?? [])]),
      organisations: unique(text.match(/\b[A-Z][\w&-]*(\s[A-Z][\w&-]*)*\s(s\.r\.o\.|a\.s\.|Ltd\.?|Inc\.?|GmbH|LLC|Corp\.?)/g) ?? []),
    };
    const output: ExtractOutput = {
      language: this.language(text),
      entities,
      keywords: this.keywords(text),
      sentiment: Math.round((doc.out(its.sentiment) as unknown as number) * 100) / 100,
      urgency: URGENCY_PATTERNS.test(foldDiacritics(text)) ? 'high' : 'normal',
    };
    return { output, model: MODEL };
  }

  async classify(text: string): Promise<ProviderAnswer<ClassifyOutput>> {
    const folded = foldDiacritics(text);
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

  async summarize(text: string): Promise<ProviderAnswer<SummarizeOutput>> {
    const sentences = this.nlp.readDoc(text).sentences().out() as string[];
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
