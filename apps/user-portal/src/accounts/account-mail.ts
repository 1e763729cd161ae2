import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Locale, RoutingKey } from '@statex/contracts';
import { OutboxService } from '@statex/messaging';
import { UserPortalEnv } from '../user-portal.env';

export type AccountTemplate = 'account-verification' | 'account-exists' | 'password-reset' | 'password-changed' | 'session-reuse-alert';

/**
 * The account emails, sent by the notification service: each is a `notification.requested`
 * event written to the outbox in the same transaction as the change it reports.
 */
@Injectable()
export class AccountMail {
  constructor(
    private readonly outbox: OutboxService,
    private readonly env: UserPortalEnv,
  ) {}

  link(path: 'verify-email' | 'reset-password' | 'forgot-password', token?: string): string {
    const base = this.env.ACCOUNT_LINKS_BASE_URL.replace(/\/$/, '');
    return token ? `${base}/${path}?token=${encodeURIComponent(token)}` : `${base}/${path}`;
  }

  async send(manager: EntityManager, to: { id: string; email: string; locale: Locale }, template: AccountTemplate, data: Record<string, unknown>): Promise<void> {
    await this.outbox.add(
      manager,
      RoutingKey.NotificationRequested,
      { channel: 'email', recipient: to.email, template, locale: to.locale, data, idempotencyKey: `user-portal:${template}:${randomUUID()}`, correlationId: to.id },
      { correlationId: to.id },
    );
  }
}
