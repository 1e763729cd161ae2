import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadEnv } from '@statex/config';
import { AiWorkerEnv } from '../../ai-worker.env';
import { AnalysisService } from '../analysis.service';
import { categoryKeywords } from './lexicon';
import { LocalProvider } from './local.provider';

interface Sample {
  id: string;
  locale: 'en' | 'cs';
  expectedCategory: string;
  text: string;
}

const golden = JSON.parse(readFileSync(join(__dirname, '../../../test/fixtures/golden-set.json'), 'utf8')) as { samples: Sample[] };
const provider = new LocalProvider();

describe('local provider', () => {
  it('classifies the golden set with at least 80% accuracy', async () => {
    expect(golden.samples.length).toBeGreaterThanOrEqual(30);
    const misses: string[] = [];
    for (const sample of golden.samples) {
      const { output } = await provider.classify(sample.text);
      if (output.category !== sample.expectedCategory) misses.push(`${sample.id} expected ${sample.expectedCategory}, got ${output.category} ${JSON.stringify(output.scores)}`);
    }
    const accuracy = (golden.samples.length - misses.length) / golden.samples.length;
    process.stdout.write(`local provider accuracy on the golden set: ${(accuracy * 100).toFixed(1)}% (${golden.samples.length - misses.length}/${golden.samples.length})\n${misses.join('\n')}\n`);
    expect(accuracy).toBeGreaterThanOrEqual(0.8);
  });

  it('detects the language of every golden sample', async () => {
    for (const sample of golden.samples) {
      expect({ id: sample.id, language: (await provider.extract(sample.text)).output.language }).toEqual({ id: sample.id, language: sample.locale });
    }
  });

  it('extracts emails, phones, URLs, money, dates and organisations, and notices urgency', async () => {
    const { output } = await provider.extract(
      'Hello, Acme Trading s.r.o. needs an e-shop by 15 March 2027, budget €20,000. Call +420 601 123 456 or write to jana@acme.cz, see https://acme.cz. It is urgent!',
    );
    expect(output.entities.emails).toEqual(['jana@acme.cz']);
    expect(output.entities.urls).toEqual(['https://acme.cz']);
    expect(output.entities.phones).toEqual(['+420 601 123 456']);
    expect(output.entities.money.join(' ')).toContain('20,000');
    expect(output.entities.dates).toEqual(['15 March 2027']);
    expect(output.entities.organisations).toEqual(['Acme Trading s.r.o.']);
    expect(output.urgency).toBe('high');
    expect(output.keywords.length).toBeGreaterThan(0);
  });

  it('is deterministic and summarises with sentences of the request', async () => {
    const text = golden.samples.map((s) => s.text).slice(0, 5).join(' ');
    const a = await provider.summarize(text);
    const b = await provider.summarize(text);
    expect(a).toEqual(b);
    expect(a.output.summary.length).toBeGreaterThan(20);
    expect(text).toContain(a.output.summary.split('. ')[0]);
    expect(await provider.classify(text)).toEqual(await provider.classify(text));
  });

  it('chooses only from the configured service list', async () => {
    const narrow = new LocalProvider(['website', 'consulting']);
    expect((await narrow.classify('We need an online shop with card payments.')).output.category).toBe('other');
    expect((await narrow.classify('Redesign our homepage, please.')).output.category).toBe('website');
  });

  it('learns services beyond the default list from AI_CATEGORY_KEYWORDS', async () => {
    const categories = ['website', 'cybersecurity', 'hosting'];
    const keywords = categoryKeywords('cybersecurity:penetration|security audit|zranitelnost;hosting:hosting|servery|uptime');
    const agency = new LocalProvider(categories, keywords);
    expect(agency.unknownCategories()).toEqual([]);
    expect((await agency.classify('We need a penetration test and a security audit of our systems.')).output.category).toBe('cybersecurity');
    expect((await agency.classify('Hledáme správu serverů a hosting s garancí uptime.')).output.category).toBe('hosting');
    expect((await agency.classify('Redesign our homepage, please.')).output.category).toBe('website');
    expect(new LocalProvider(categories).unknownCategories()).toEqual(['cybersecurity', 'hosting']);
  });

  it('refuses, as the provider, a service list it could never choose from; as the fallback it warns', () => {
    const env = (vars: Record<string, string>) => loadEnv(AiWorkerEnv, { ENV_FILE: '/nonexistent', ...vars });
    expect(() => new AnalysisService(new LocalProvider(['website', 'cybersecurity']), env({ AI_CATEGORIES: 'website,cybersecurity' }))).toThrow(
      'AI_CATEGORIES names cybersecurity, for which the local provider has no keywords: add them in AI_CATEGORY_KEYWORDS',
    );
    expect(() => new AnalysisService(new LocalProvider(['website', 'cybersecurity']), env({ AI_CATEGORIES: 'website,cybersecurity', AI_PROVIDER: 'openai' }))).not.toThrow();
    expect(() => env({ AI_CATEGORY_KEYWORDS: 'cybersecurity' })).toThrow('AI_CATEGORY_KEYWORDS must look like');
    expect(() => env({ AI_CATEGORY_KEYWORDS: 'hosting: ' })).toThrow('AI_CATEGORY_KEYWORDS must look like');
    expect(() => env({ AI_CATEGORY_KEYWORDS: 'hosting:server| ' })).toThrow('AI_CATEGORY_KEYWORDS must look like');
    expect(env({ AI_CATEGORY_KEYWORDS: 'cybersecurity: security audit|pentest;hosting:uptime' }).AI_CATEGORY_KEYWORDS).toContain('security audit');
  });

  it('drafts a proposal in the lead’s language from what it found', async () => {
    const text = 'Chceme e-shop s platební bránou, rozpočet 200 000 Kč, spěchá to.';
    const [extract, classify, summarize] = await Promise.all([provider.extract(text), provider.classify(text), provider.summarize(text)]);
    const { output } = await provider.propose({ name: 'Jana', locale: 'cs', extract: extract.output, classify: classify.output, summarize: summarize.output });
    expect(output.proposal).toContain('Dobrý den, Jana');
    expect(output.proposal).toContain('e-shop');
    expect(output.proposal).toContain('200 000 Kč');
    expect(output.proposal).toContain('spěchá');
  });

  it('loads the NLP model on its first analysis, not when built: an idle worker does not hold it', async () => {
    let loads = 0;
    let fresh: LocalProvider | undefined;
    jest.isolateModules(() => {
      jest.doMock('wink-eng-lite-web-model', () => {
        loads += 1;
        return jest.requireActual('wink-eng-lite-web-model');
      });
      const isolated = jest.requireActual<typeof import('./local.provider')>('./local.provider');
      fresh = new isolated.LocalProvider();
    });
    expect(loads).toBe(0);
    const { output } = await fresh!.extract('Call Jana Nováková at Acme on Monday about the new e-shop.');
    expect(output.entities).toBeDefined();
    await fresh!.summarize('One sentence. Another one. And a third one here.');
    expect(loads).toBe(1);
  });
});
