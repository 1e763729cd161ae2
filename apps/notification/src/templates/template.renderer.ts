import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Injectable, NotFoundException } from '@nestjs/common';
import Handlebars from 'handlebars';
import { ContactChannel, Locale, serviceLabel } from '@statex/contracts';
import type { RenderedMessage } from '../channels/channel.types';

type Part = 'email.subject' | 'email.html' | 'email.text' | 'telegram' | 'whatsapp' | 'linkedin';

/** Sample data for previews: every field the templates use. */
export const SAMPLE_DATA: Record<string, unknown> = {
  name: 'Jana Nováková',
  requestId: '6b0d5f1e-8a43-4c55-9a2e-1f0c2d3e4b5a',
  statusUrl: 'http://localhost:8002/api/submissions/6b0d5f1e-8a43-4c55-9a2e-1f0c2d3e4b5a',
  message: 'We need a new e-shop with card payments and a warehouse integration.',
  summary: 'A mid-size retailer wants an online shop with card payments and stock sync.',
  category: 'e-commerce',
  proposal: 'We propose a two-week discovery, then an e-shop on a proven platform with a warehouse connector.',
  // The account emails user-portal sends.
  verifyUrl: 'http://localhost:8006/verify-email?token=sample',
  expiresInHours: 24,
  resetUrl: 'http://localhost:8006/reset-password?token=sample',
  forgotPasswordUrl: 'http://localhost:8006/forgot-password',
  expiresInMinutes: 30,
  at: '2026-11-28 14:05 UTC',
  ip: '203.0.113.7',
  device: 'Firefox on Windows',
};

function templatesDir(): string {
  const candidates = [
    process.env.NOTIFICATION_TEMPLATES_DIR,
    resolve(__dirname, '..', '..', 'templates'),
    resolve(process.cwd(), 'apps', 'notification', 'templates'),
  ].filter((c): c is string => Boolean(c));
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new Error(`No notification templates found in ${candidates.join(', ')}`);
  return found;
}

/**
 * Handlebars templates from files: `templates/<name>/<locale>/<part>.hbs`. HTML parts
 * (email HTML, Telegram's HTML subset) escape their data; plain-text parts do not.
 */
@Injectable()
export class TemplateRenderer {
  private readonly dir = templatesDir();
  private readonly handlebars = Handlebars.create();
  private readonly cache = new Map<string, Handlebars.TemplateDelegate>();

  constructor() {
    this.handlebars.registerHelper('excerpt', (text: unknown, length: unknown) => {
      const value = String(text ?? '');
      const max = typeof length === 'number' ? length : 300;
      return value.length > max ? `${value.slice(0, max)}…` : value;
    });
  }

  /** Template names available (a folder each), read once: compiled templates are kept for good as well. */
  private available?: string[];

  names(): string[] {
    this.available ??= readdirSync(this.dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
    return this.available;
  }

  has(name: string): boolean {
    return this.names().includes(name);
  }

  /** `service`: the lead-facing name of `data.category` in the locale, when the caller gave a category and no name for it. */
  render(name: string, channel: ContactChannel, locale: Locale, given: Record<string, unknown>): RenderedMessage {
    if (!this.has(name)) throw new NotFoundException(`Template "${name}" does not exist; available: ${this.names().join(', ')}`);
    const data = typeof given.category === 'string' && given.service === undefined ? { ...given, service: serviceLabel(given.category, locale) } : given;
    if (channel === 'email') {
      return {
        subject: this.part(name, locale, 'email.subject', data).trim(),
        html: this.part(name, locale, 'email.html', data),
        text: this.part(name, locale, 'email.text', data),
      };
    }
    return { text: this.part(name, locale, channel, data).trim() };
  }

  private part(name: string, locale: Locale, part: Part, data: Record<string, unknown>): string {
    const key = `${name}/${locale}/${part}`;
    let template = this.cache.get(key);
    if (!template) {
      const file = join(this.dir, name, locale, `${part}.hbs`);
      if (!existsSync(file)) throw new NotFoundException(`Template "${name}" has no ${part} part in locale ${locale}`);
      const html = part === 'email.html' || part === 'telegram';
      template = this.handlebars.compile(readFileSync(file, 'utf8'), { noEscape: !html, strict: false });
      this.cache.set(key, template);
    }
    return template(data);
  }
}
