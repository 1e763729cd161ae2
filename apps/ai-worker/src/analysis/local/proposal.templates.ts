import { Locale, serviceLabel } from '@statex/contracts';

const ANYTHING_ELSE: Record<Locale, string> = { en: 'your request', cs: 'váš požadavek' };

const NEXT_STEPS: Record<Locale, Record<string, string>> = {
  en: {
    website: 'a short workshop on content and structure, then a design proposal and a CMS you can edit yourself',
    'e-commerce': 'a discovery call about your catalogue, payments and shipping, then a shop on a proven platform with the integrations you need',
    'mobile-app': 'a clickable prototype of the key screens, then a cross-platform app for iOS and Android',
    'ai-automation': 'a proof of concept on a sample of your real data, measured before anything goes live',
    'data-analytics': 'mapping your data sources and KPIs, then a first dashboard within weeks',
    integration: 'an inventory of the systems and data flows, then a reliable integration with monitoring',
    consulting: 'an audit with concrete recommendations and a roadmap you can act on',
    other: 'a short call to understand what you need',
  },
  cs: {
    website: 'krátký workshop k obsahu a struktuře, poté návrh designu a CMS, který si budete sami spravovat',
    'e-commerce': 'úvodní schůzku o sortimentu, platbách a dopravě, poté e-shop na osvědčené platformě s potřebnými napojeními',
    'mobile-app': 'klikací prototyp hlavních obrazovek, poté multiplatformní aplikaci pro iOS i Android',
    'ai-automation': 'ověření konceptu na vzorku vašich skutečných dat, změřené před nasazením',
    'data-analytics': 'zmapování datových zdrojů a KPI, poté první dashboard během několika týdnů',
    integration: 'soupis systémů a datových toků, poté spolehlivé propojení s monitoringem',
    consulting: 'audit s konkrétními doporučeními a plánem, podle kterého můžete jednat',
    other: 'krátký hovor, abychom pochopili, co potřebujete',
  },
};

/** A reply draft filled from what the analysis found. */
export function proposalDraft(locale: Locale, input: { name: string; category: string; summary: string; budget?: string; deadline?: string; urgent: boolean }): string {
  const label = serviceLabel(input.category, locale) ?? ANYTHING_ELSE[locale];
  const next = NEXT_STEPS[locale][input.category] ?? NEXT_STEPS[locale].other;
  if (locale === 'cs') {
    return [
      `Dobrý den, ${input.name},`,
      `děkujeme za poptávku. Rozumíme, že hledáte ${label}: ${input.summary}`,
      input.budget ? `Zmiňujete rozpočet ${input.budget}; návrh tomu přizpůsobíme.` : '',
      input.deadline ? `Termín ${input.deadline} bereme v úvahu.` : '',
      input.urgent ? 'Vidíme, že to spěchá – ozveme se přednostně.' : '',
      `Navrhujeme ${next}.`,
    ].filter(Boolean).join('\n');
  }
  return [
    `Hello ${input.name},`,
    `thank you for your enquiry. We understand you are looking for ${label}: ${input.summary}`,
    input.budget ? `You mention a budget of ${input.budget}; we will shape the proposal to it.` : '',
    input.deadline ? `We have noted the date ${input.deadline}.` : '',
    input.urgent ? 'We can see this is urgent and will get back to you first.' : '',
    `We propose ${next}.`,
  ].filter(Boolean).join('\n');
}
