import type { ContentType, Locale } from '@statex/contracts';

export interface StartingEntry {
  type: ContentType;
  locale: Locale;
  slug: string;
  title: string;
  summary: string;
  seoTitle?: string;
  seoDescription?: string;
  body: string;
  fields: Record<string, unknown>;
}

interface ServiceText {
  title: string;
  summary: string;
  features: string[];
  duration: string;
  body: string;
}

/**
 * The agency's services: one per category the AI analysis assigns to leads (DEFAULT_CATEGORIES
 * in @statex/contracts, without `other`), so a lead's category links to a page that explains it.
 * Prices are starting points in CZK.
 */
const SERVICES: { category: string; priceFrom: number; en: ServiceText; cs: ServiceText }[] = [
  {
    category: 'website',
    priceFrom: 40_000,
    en: {
      title: 'Websites',
      summary: 'Fast, accessible websites that turn visitors into enquiries, with content you can edit yourself.',
      features: ['Design and copy for your audience', 'Content you edit yourself, in every language you need', 'Search-engine basics and analytics', 'Hosting, backups and updates'],
      duration: '4–8 weeks',
      body: `A website is often the first conversation a customer has with you. We build sites that load fast on any phone, read well, and make the next step obvious.

## How we work
1. **Discovery**: who your visitors are and what they should do.
2. **Design and content**: wireframes, then the real texts and pictures.
3. **Build**: a modern stack, accessible (WCAG 2.1 AA) and measured.
4. **Launch and care**: hosting, backups, updates and a monthly check.

Tell us about your project through the [contact form](/contact) and we will answer within one working day.`,
    },
    cs: {
      title: 'Webové stránky',
      summary: 'Rychlé a přístupné webové stránky, které z návštěvníků dělají poptávky, s obsahem, který si upravíte sami.',
      features: ['Návrh a texty pro vaše publikum', 'Obsah, který si sami upravíte ve všech potřebných jazycích', 'Základy SEO a měření návštěvnosti', 'Hosting, zálohy a aktualizace'],
      duration: '4–8 týdnů',
      body: `Web je často první rozhovor, který s vámi zákazník vede. Stavíme weby, které se rychle načtou na každém telefonu, dobře se čtou a jasně ukazují další krok.

## Jak pracujeme
1. **Poznání**: kdo jsou vaši návštěvníci a co mají udělat.
2. **Návrh a obsah**: drátěné modely, pak skutečné texty a obrázky.
3. **Vývoj**: moderní technologie, přístupnost (WCAG 2.1 AA) a měření.
4. **Spuštění a péče**: hosting, zálohy, aktualizace a měsíční kontrola.

Napište nám o svém projektu přes [kontaktní formulář](/contact) a ozveme se do jednoho pracovního dne.`,
    },
  },
  {
    category: 'e-commerce',
    priceFrom: 120_000,
    en: {
      title: 'Online shops',
      summary: 'Online shops that are easy to buy from and easy to run: catalogue, payments, shipping and stock in one place.',
      features: ['Catalogue, cart and checkout tuned for conversion', 'Card payments, bank transfers and invoices', 'Shipping carriers and stock synchronisation', 'Reports on sales and returns'],
      duration: '8–16 weeks',
      body: `We build shops on proven platforms or custom where it pays off, and connect them to the payment gateways, carriers and accounting you already use.

## What you get
- A checkout with as few steps as possible
- Product data imported from your current system
- Automatic emails for orders, shipping and returns
- Training for your team and support after launch`,
    },
    cs: {
      title: 'E-shopy',
      summary: 'E-shopy, ve kterých se snadno nakupuje a které se snadno spravují: katalog, platby, doprava a sklad na jednom místě.',
      features: ['Katalog, košík a pokladna navržené pro konverze', 'Platby kartou, převodem i na fakturu', 'Napojení dopravců a synchronizace skladu', 'Přehledy prodejů a vratek'],
      duration: '8–16 týdnů',
      body: `E-shopy stavíme na osvědčených platformách, nebo na míru tam, kde se to vyplatí, a napojujeme je na platební brány, dopravce a účetnictví, které už používáte.

## Co získáte
- Pokladnu s co nejmenším počtem kroků
- Produktová data převedená z vašeho současného systému
- Automatické e-maily k objednávkám, odeslání a vratkám
- Zaškolení vašeho týmu a podporu po spuštění`,
    },
  },
  {
    category: 'mobile-app',
    priceFrom: 250_000,
    en: {
      title: 'Mobile apps',
      summary: 'iOS and Android apps from one code base, from the first prototype to the app stores and beyond.',
      features: ['Clickable prototype before any code', 'One code base for iOS and Android', 'Push notifications, offline mode, payments', 'Publishing in the App Store and Google Play'],
      duration: '3–6 months',
      body: `We start with a clickable prototype you can put in front of real users, then build the app with a cross-platform stack so that one team serves both platforms.

After launch we watch crash reports and reviews, and ship improvements in short, predictable releases.`,
    },
    cs: {
      title: 'Mobilní aplikace',
      summary: 'Aplikace pro iOS a Android z jednoho kódu, od prvního prototypu až po obchody s aplikacemi a dál.',
      features: ['Klikací prototyp dřív, než napíšeme kód', 'Jeden kód pro iOS i Android', 'Push notifikace, offline režim, platby', 'Zveřejnění v App Storu a na Google Play'],
      duration: '3–6 měsíců',
      body: `Začínáme klikacím prototypem, který můžete ukázat skutečným uživatelům, a pak aplikaci stavíme multiplatformně, aby jeden tým obsloužil obě platformy.

Po spuštění sledujeme hlášení o pádech i recenze a vylepšení vydáváme v krátkých, předvídatelných verzích.`,
    },
  },
  {
    category: 'ai-automation',
    priceFrom: 60_000,
    en: {
      title: 'AI automation',
      summary: 'Let AI read, sort and answer the routine work (emails, documents, enquiries) while your people handle the rest.',
      features: ['An audit of the processes worth automating', 'Document and email processing with language models', 'A human in the loop where it matters', 'Measured savings, monthly'],
      duration: '4–10 weeks',
      body: `We find the repetitive steps in your processes, automate them with language models and workflow tools, and keep a person in the loop wherever a decision matters.

Every automation comes with a dashboard: how many cases it handled, how many it passed to a person, and what it saved.`,
    },
    cs: {
      title: 'Automatizace s AI',
      summary: 'Nechte AI číst, třídit a vyřizovat rutinní práci (e-maily, dokumenty, poptávky), zatímco se vaši lidé věnují zbytku.',
      features: ['Audit procesů, které se vyplatí automatizovat', 'Zpracování dokumentů a e-mailů jazykovými modely', 'Člověk ve smyčce tam, kde na tom záleží', 'Měřené úspory každý měsíc'],
      duration: '4–10 týdnů',
      body: `Najdeme ve vašich procesech opakující se kroky, automatizujeme je pomocí jazykových modelů a workflow nástrojů a tam, kde jde o důležité rozhodnutí, necháme slovo člověku.

Ke každé automatizaci patří přehled: kolik případů vyřídila, kolik předala člověku a kolik ušetřila.`,
    },
  },
  {
    category: 'data-analytics',
    priceFrom: 50_000,
    en: {
      title: 'Data analytics and reporting',
      summary: 'One trustworthy picture of your business: data from your systems joined, cleaned and turned into dashboards.',
      features: ['Data from your systems in one warehouse', 'Dashboards your managers actually open', 'Automatic weekly and monthly reports', 'Forecasts where the data supports them'],
      duration: '4–12 weeks',
      body: `We connect your sales, marketing and operations data, agree on the few numbers that matter, and build dashboards and reports that update themselves.

You own the warehouse and the code; we document both so that your team can take over.`,
    },
    cs: {
      title: 'Datová analytika a reporting',
      summary: 'Jeden spolehlivý obraz vaší firmy: data z vašich systémů propojená, vyčištěná a převedená do přehledných dashboardů.',
      features: ['Data z vašich systémů v jednom datovém skladu', 'Dashboardy, které vedení opravdu otevírá', 'Automatické týdenní a měsíční reporty', 'Předpovědi tam, kde to data umožňují'],
      duration: '4–12 týdnů',
      body: `Propojíme data z prodeje, marketingu i provozu, dohodneme se na několika číslech, na kterých záleží, a postavíme dashboardy a reporty, které se aktualizují samy.

Datový sklad i kód patří vám; obojí zdokumentujeme, aby je mohl převzít váš tým.`,
    },
  },
  {
    category: 'integration',
    priceFrom: 45_000,
    en: {
      title: 'Systems integration',
      summary: 'Your CRM, ERP, shop and accounting talking to each other, so nobody retypes data between them.',
      features: ['APIs and connectors between your systems', 'Data synchronisation with error handling and alerts', 'Migration from legacy systems', 'Monitoring and support'],
      duration: '3–10 weeks',
      body: `We map where your data lives and where it has to go, then connect the systems with reliable, monitored integrations: every failed transfer is retried, reported and visible.`,
    },
    cs: {
      title: 'Propojení systémů',
      summary: 'Vaše CRM, ERP, e-shop a účetnictví spolu mluví, takže nikdo nepřepisuje data z jednoho do druhého.',
      features: ['API a konektory mezi vašimi systémy', 'Synchronizace dat s ošetřením chyb a upozorněními', 'Migrace ze starších systémů', 'Monitoring a podpora'],
      duration: '3–10 týdnů',
      body: `Zmapujeme, kde vaše data vznikají a kam musí putovat, a systémy propojíme spolehlivými, monitorovanými integracemi: každý neúspěšný přenos se zopakuje, nahlásí a je vidět.`,
    },
  },
  {
    category: 'consulting',
    priceFrom: 2_500,
    en: {
      title: 'Technology consulting',
      summary: 'An independent view on your technology: architecture, vendors, budgets and the next step worth taking.',
      features: ['Architecture and code reviews', 'Vendor and tender selection', 'Roadmaps and budgets', 'A CTO for hire, by the day'],
      duration: 'From one day',
      body: `Not every question needs a project. We review what you have, compare the options honestly, and write down a plan you can follow with us or without us. Priced per hour of consulting.`,
    },
    cs: {
      title: 'Technologické poradenství',
      summary: 'Nezávislý pohled na vaše technologie: architektura, dodavatelé, rozpočty a další krok, který se vyplatí.',
      features: ['Revize architektury a kódu', 'Výběr dodavatelů a výběrová řízení', 'Plány rozvoje a rozpočty', 'CTO k pronájmu, po dnech'],
      duration: 'Od jednoho dne',
      body: `Ne každá otázka potřebuje projekt. Zhodnotíme, co máte, poctivě porovnáme možnosti a sepíšeme plán, podle kterého můžete postupovat s námi i bez nás. Cena je za hodinu konzultace.`,
    },
  },
];

const HOME: Record<Locale, Omit<StartingEntry, 'type' | 'locale' | 'slug' | 'fields'>> = {
  en: {
    title: 'Software that brings you customers',
    summary: 'StateX is a small software agency: websites, online shops, apps, AI automation and data, built to bring you enquiries and save your team time.',
    seoTitle: 'StateX: websites, apps and AI automation',
    seoDescription: 'A software agency building websites, online shops, mobile apps, AI automation, integrations and data analytics.',
    body: `## What we do
We design, build and run software for small and medium businesses: from a fast website to an AI assistant that sorts your inbox. Browse our [services](/services) to see what fits.

## How we work
- **A clear proposal within a day.** Describe your project in the contact form; we reply with a first analysis and next steps.
- **Fixed milestones.** You see working software every two weeks.
- **You own everything.** Code, data and accounts are yours.

[Tell us about your project](/contact)`,
  },
  cs: {
    title: 'Software, který vám přivádí zákazníky',
    summary: 'StateX je malá softwarová agentura: weby, e-shopy, aplikace, automatizace s AI a data, postavené tak, aby vám přinášely poptávky a šetřily čas vašeho týmu.',
    seoTitle: 'StateX: weby, aplikace a automatizace s AI',
    seoDescription: 'Softwarová agentura, která staví webové stránky, e-shopy, mobilní aplikace, automatizace s AI, integrace a datovou analytiku.',
    body: `## Co děláme
Navrhujeme, vyvíjíme a provozujeme software pro malé a střední firmy: od rychlého webu po AI asistenta, který vám roztřídí poštu. Podívejte se na naše [služby](/services) a vyberte si, co se vám hodí.

## Jak pracujeme
- **Jasná nabídka do jednoho dne.** Popište svůj projekt v kontaktním formuláři; odpovíme první analýzou a dalšími kroky.
- **Pevné milníky.** Každé dva týdny uvidíte fungující software.
- **Všechno patří vám.** Kód, data i účty jsou vaše.

[Napište nám o svém projektu](/contact)`,
  },
};

const LOCALE_LIST: Locale[] = ['en', 'cs'];

/** The starting content: every service and the home page, in English and Czech. */
export const STARTING_CONTENT: StartingEntry[] = [
  ...LOCALE_LIST.map((locale): StartingEntry => ({ type: 'page', locale, slug: 'home', fields: { template: 'home', order: 0 }, ...HOME[locale] })),
  ...SERVICES.flatMap((service, index) =>
    LOCALE_LIST.map((locale): StartingEntry => {
      const text = service[locale];
      return {
        type: 'service',
        locale,
        slug: service.category,
        title: text.title,
        summary: text.summary,
        body: text.body,
        fields: { category: service.category, priceFrom: service.priceFrom, currency: 'CZK', duration: text.duration, features: text.features, order: (index + 1) * 10 },
      };
    }),
  ),
];
