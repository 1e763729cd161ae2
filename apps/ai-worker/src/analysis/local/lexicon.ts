/**
 * Words that point at each service, matched on lower-cased text without diacritics, so
 * Czech inflections share a stem ("aplikaci", "aplikace" → "aplikac"). Weight 2 for phrases
 * that name a service outright, 1 for hints.
 */
export const CATEGORY_LEXICON: Record<string, [RegExp, number][]> = {
  website: [
    [/\bweb ?sites?\b|\bhomepage\b|\blanding page\b/, 2],
    [/\bwebu?\b|\bwebov\w*|\bstran(ky|ek|kach)\b/, 2],
    [/\bredesign\w*|\bcms\b|\bseo\b|\bblog\b|\bresponsive\b|\bsites?\b|\bwordpress\b|\bwebflow\b|\bwix\b/, 1],
  ],
  'e-commerce': [
    [/\be-?shops?\b|\bonline (shop|store)\b|\be-?commerce\b|\bshopify\b|\bwoocommerce\b/, 2],
    [/\bsell\w*\b.{0,40}\bonline\b|\bcheckout\b|\bwholesale\b|\bb2b\b|\bprice lists?\b/, 2],
    [/\bpayments?\b|\bplatebn\w*|\bproducts?\b|\binventory\b|\bshipping\b|\bzasilkovn\w*|\bdiscount\w*|\bsubscriptions?\b|\bmulti-currency\b|\bpolozek\b/, 1],
  ],
  'mobile-app': [
    [/\bmobile apps?\b|\bmobiln\w* aplikac\w*|\bios\b|\bandroid\b|\biphone\b|\breact native\b|\bflutter\b/, 2],
    [/\bapps?\b|\baplikac\w*|\bpush notifications?\b|\boffline\b/, 1],
  ],
  'ai-automation': [
    [/\bai\b|\bartificial intelligence\b|\bumel\w* inteligenc\w*|\bmachine learning\b|\bllm\b|\bgpt\w*|\bchatbot\w*/, 2],
    [/\bautomat\w*|\bclassif\w*|\bextract\w*|\bassistant\b|\bnlp\b|\bdrafts?\b/, 1],
  ],
  'data-analytics': [
    [/\bdashboards?\b|\bdata warehouse\b|\bdatov\w* sklad\w*|\bpower bi\b|\bkpis?\b|\breporting\b|\banalyz\w* dat\b/, 2],
    [/\breports?\b|\banalytics\b|\bvisuali[sz]\w*|\bpredik\w*|\bprediction\w*|\btrends?\b|\banomal\w*|\bsql\b|\bexcel\b|\bprehled\w*|\bsensor\w*/, 1],
  ],
  integration: [
    [/\bintegrat\w*|\bapis?\b|\bpropoj\w*|\bmiddleware\b|\bwebhooks?\b|\btalk to each other\b/, 2],
    [/\bsynchroni\w*|\bsyncs?\b|\berp\b|\bsap\b|\bcrm\b|\bconnect\w*|\blegacy\b|\bpohod\w*|\bmessage queue\b/, 1],
  ],
  consulting: [
    [/\bconsult\w*|\bkonzultac\w*|\badvi[cs]e\b|\baudit\w*|\broadmap\b|\bdigital transformation\b/, 2],
    [/\bstrateg\w*|\barchitektur\w*|\barchitecture\b|\breview\b|\bcto\b|\btechnick\w* reditel\w*|\bcosts?\b|\bscale\b/, 1],
  ],
};

export const URGENCY_PATTERNS = /\burgent\w*|\basap\b|\bimmediately\b|\bas soon as possible\b|\bdeadline\b|\bnext week\b|\bspech\w*|\bco nejdriv\w*|\bihned\b|\burgentne\b/;

export const STOPWORDS = new Set(
  (
    'a an the and or but if of to in on at by for with from as is are was were be been it its this that these those we our us you your i me my ' +
    'they them their he she his her not no do does did have has had can could would should will just so about into than then there here what which ' +
    'who how when where also very more most some any all each per up out over only own same too hi hello please thanks thank need want like ' +
    'a i v ve na se je jsme jste to ze že do pro od po za s z k o u jak co ktery ktera ktere nas naš naše nase vas vám vam by bychom chceme ' +
    'potrebujeme potřebujeme dobry den dobrý den jen nebo ale aby jako tak take také uz už'
  ).split(/\s+/),
);

export const CZECH_HINTS = /[ěščřžýůťďň]|\b(je|jsme|potrebujeme|potřebujeme|chceme|dobry|dobrý|nas|náš|naše|pro|že|který|která|které|bychom)\b/g;
export const ENGLISH_HINTS = /\b(the|and|we|our|need|want|with|for|is|are|you|please)\b/g;

export function foldDiacritics(text: string): string {
  return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
}

/** `AI_CATEGORY_KEYWORDS` ("category:word|phrase;…") as lexicon entries, each keyword naming its service outright. */
export function categoryKeywords(spec: string): Record<string, [RegExp, number][]> {
  const lexicon: Record<string, [RegExp, number][]> = {};
  for (const entry of spec.split(';').filter(Boolean)) {
    const [category, words] = entry.split(':');
    const alternatives = words
      .split('|')
      .map((w) => foldDiacritics(w.trim()).replace(/[.*+?^${}()[\]\\]/g, '\\$&').replace(/\s+/g, '\\s+'))
      .filter(Boolean);
    if (alternatives.length === 0) throw new Error(`AI_CATEGORY_KEYWORDS gives ${category} no keywords`);
    (lexicon[category] ??= []).push([new RegExp(`\\b(${alternatives.join('|')})\\w*`), 2]);
  }
  return lexicon;
}
