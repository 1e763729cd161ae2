import { Injectable } from '@nestjs/common';
import { NotificationEnv } from '../notification.env';
import { ChannelSender, Delivery, DeliveryError } from './channel.types';

interface CloudApiAnswer {
  messages?: { id: string }[];
  error?: { message?: string; code?: number; type?: string };
}

/**
 * The WhatsApp Business Cloud API: `POST {WHATSAPP_API_URL}/{WHATSAPP_PHONE_NUMBER_ID}/messages`.
 * WhatsApp refuses free text to someone who has not written first, so the first contact with
 * a lead is the approved template WHATSAPP_TEMPLATE_NAME; later messages are text.
 */
@Injectable()
export class WhatsAppChannel implements ChannelSender {
  readonly channel = 'whatsapp' as const;

  constructor(private readonly env: NotificationEnv) {}

  isConfigured(): boolean {
    return Boolean(this.env.WHATSAPP_TOKEN && this.env.WHATSAPP_PHONE_NUMBER_ID);
  }

  async send(delivery: Delivery): Promise<string> {
    if (!this.isConfigured()) throw new DeliveryError('whatsapp is not configured: set WHATSAPP_TOKEN and WHATSAPP_PHONE_NUMBER_ID', true);
    const to = delivery.recipient.replace(/^\+/, '');
    const body = delivery.firstContact
      ? {
          messaging_product: 'whatsapp',
          to,
          type: 'template',
          template: {
            name: this.env.WHATSAPP_TEMPLATE_NAME,
            language: { code: delivery.locale },
            components: [
              {
                type: 'body',
                parameters: [
                  { type: 'text', text: String(delivery.data.name ?? '') },
                  { type: 'text', text: String(delivery.data.requestId ?? delivery.notificationId) },
                ],
              },
            ],
          },
        }
      : { messaging_product: 'whatsapp', to, type: 'text', text: { body: delivery.message.text, preview_url: false } };

    let res: Response;
    try {
      res = await fetch(`${this.env.WHATSAPP_API_URL.replace(/\/$/, '')}/${this.env.WHATSAPP_PHONE_NUMBER_ID}/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.env.WHATSAPP_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      });
    } catch (error) {
      throw new DeliveryError(`WhatsApp unreachable: ${(error as Error).message}`, false);
    }
    const answer = (await res.json().catch(() => ({}))) as CloudApiAnswer;
    if (res.ok && answer.messages?.[0]?.id) return answer.messages[0].id;
    const reason = `WhatsApp ${res.status}: ${answer.error?.message ?? res.statusText}`;
    if (res.status === 429) {
      const retryAfter = Number(res.headers.get('retry-after'));
      throw new DeliveryError(reason, false, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined);
    }
    throw new DeliveryError(reason, res.status >= 400 && res.status < 500);
  }
}
