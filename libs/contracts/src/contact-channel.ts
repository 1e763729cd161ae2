export const CONTACT_CHANNELS = ['email', 'telegram', 'whatsapp', 'linkedin'] as const;
export type ContactChannel = (typeof CONTACT_CHANNELS)[number];

export const LOCALES = ['en', 'cs'] as const;
export type Locale = (typeof LOCALES)[number];
