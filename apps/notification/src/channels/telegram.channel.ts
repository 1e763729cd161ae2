import { Injectable } from '@nestjs/common';
import type * as Grammy from 'grammy';
import { NotificationEnv } from '../notification.env';
import { ChannelSender, Delivery, DeliveryError } from './channel.types';

/**
 * Telegram through grammy's Bot API client; TELEGRAM_API_ROOT points it at another Bot API server.
 * grammy (and the fetch it brings) loads only where TELEGRAM_BOT_TOKEN is set.
 */
@Injectable()
export class TelegramChannel implements ChannelSender {
  readonly channel = 'telegram' as const;
  private readonly grammy?: typeof Grammy;
  private readonly api?: Grammy.Api;

  constructor(private readonly env: NotificationEnv) {
    if (env.TELEGRAM_BOT_TOKEN) {
      this.grammy = require('grammy') as typeof Grammy;
      this.api = new this.grammy.Api(env.TELEGRAM_BOT_TOKEN, { apiRoot: env.TELEGRAM_API_ROOT.replace(/\/$/, ''), timeoutSeconds: 15 });
    }
  }

  isConfigured(): boolean {
    return this.api !== undefined;
  }

  async send(delivery: Delivery): Promise<string> {
    if (!this.api || !this.grammy) throw new DeliveryError('telegram is not configured: set TELEGRAM_BOT_TOKEN', true);
    try {
      const sent = await this.api.sendMessage(delivery.recipient, delivery.message.text, {
        parse_mode: 'HTML',
        link_preview_options: { is_disabled: true },
      });
      return String(sent.message_id);
    } catch (error) {
      const { GrammyError, HttpError } = this.grammy;
      if (error instanceof GrammyError) {
        if (error.error_code === 429) {
          const seconds = error.parameters.retry_after ?? 1;
          throw new DeliveryError(`Telegram 429: ${error.description}`, false, seconds * 1000);
        }
        throw new DeliveryError(`Telegram ${error.error_code}: ${error.description}`, error.error_code >= 400 && error.error_code < 500);
      }
      if (error instanceof HttpError) throw new DeliveryError(`Telegram unreachable: ${error.message}`, false);
      throw new DeliveryError(`Telegram: ${(error as Error).message}`, false);
    }
  }
}
