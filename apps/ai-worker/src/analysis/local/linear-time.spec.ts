import { backtrackingTexts } from '../../../../../test/fixtures/hostile/corpus';
import { LOCAL_MAX_CHARS, LocalProvider, PATTERNS } from './local.provider';

/**
 * The local provider on the worst texts we know, one per regex family (each was quadratic or worse
 * in its old form: 50,000 characters blocked the event loop for seconds). Bounds are generous for a
 * shared machine; a backtracking pattern misses them by orders of magnitude.
 */
describe('local provider in linear time', () => {
  const provider = new LocalProvider();
  const texts = Object.entries(backtrackingTexts(LOCAL_MAX_CHARS));

  it.each(texts)('analyses the %s text of 50,000 characters in under 1.5 s per step', async (_family, text) => {
    for (const step of ['extract', 'classify', 'summarize'] as const) {
      const started = performance.now();
      await provider[step](text);
      expect({ step, fast: performance.now() - started < 1500 }).toEqual({ step, fast: true });
    }
  });

  it('runs each entity pattern over 1,000,000 characters of each family in linear time', () => {
    // The best of three runs, so a busy machine does not decide. A linear pattern takes about 100 ms
    // here on the worst family; a quadratic one would take hours, so the bound is far from both.
    const best = (text: string, pattern: RegExp) =>
      Math.min(
        ...[0, 1, 2].map(() => {
          const started = performance.now();
          text.match(pattern);
          return performance.now() - started;
        }),
      );
    for (const [family, text] of Object.entries(backtrackingTexts(1_000_000))) {
      for (const [name, pattern] of Object.entries(PATTERNS)) {
        const ms = best(text, pattern);
        // And it grows with the text, not faster: a quarter of the text takes at most about a quarter of the time.
        const quarterMs = best(text.slice(0, 250_000), pattern);
        expect({ family, name, fast: ms < 1500, linear: ms < 4 * quarterMs * 2 + 20 }).toEqual({ family, name, fast: true, linear: true });
      }
    }
  });

  it('reads at most LOCAL_MAX_CHARS: what lies beyond is not analysed', async () => {
    const text = 'x '.repeat(LOCAL_MAX_CHARS / 2) + ' Write to jana@example.com';
    expect((await provider.extract(text)).output.entities.emails).toEqual([]);
    expect((await provider.extract(text.slice(-100))).output.entities.emails).toEqual(['jana@example.com']);
  });
});
