export const CONTACT_CHANNELS = ['email', 'telegram', 'whatsapp', 'linkedin'] as const;
export type ContactChannel = (typeof CONTACT_CHANNELS)[number];

export const LOCALES = ['en', 'cs'] as const;
export type Locale = (typeof LOCALES)[number];

/**
 * What each channel's recipient must look like, for every service that takes one: submission
 * refuses a contact the notification service could not use, and both use these patterns.
 */
export const RECIPIENT_FORMATS: Record<ContactChannel, { pattern: RegExp; description: string }> = {
  email: { pattern: /^[^\s@]+@[^\s@]+\.[^\s@]+$/, description: 'an email address' },
  telegram: { pattern: /^(-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{4,31})$/, description: 'a numeric Telegram chat id (or @channel)' },
  whatsapp: { pattern: /^\+[1-9]\d{6,14}$/, description: 'a phone number in E.164 format, e.g. +420601123456' },
  linkedin: {
    pattern: /^https:\/\/([a-z]{2,3}\.)?linkedin\.com\/in\/[^\s/?#]+\/?([?#]\S*)?$/,
    description: 'a https://www.linkedin.com/in/… profile URL',
  },
};
