import type { ContactChannel, Locale } from '@statex/contracts';

/** A message rendered for one channel. */
export interface RenderedMessage {
  subject?: string;
  text: string;
  html?: string;
}

export interface Delivery {
  notificationId: string;
  recipient: string;
  locale: Locale;
  template: string;
  message: RenderedMessage;
  data: Record<string, unknown>;
  /** True when no message on this channel has reached this recipient before. */
  firstContact: boolean;
}

/**
 * Why a send failed. `permanent` errors (an invalid address, a provider 4xx other than 429,
 * a channel without credentials) fail at once; others are retried, after `retryAfterMs` when
 * the provider said so.
 */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

/** A channel that sends by itself (LinkedIn has none: it becomes a manual task). */
export interface ChannelSender {
  readonly channel: Exclude<ContactChannel, 'linkedin'>;
  /** Whether its credentials are set; an unconfigured channel fails its notifications with a reason. */
  isConfigured(): boolean;
  /** Returns the provider's message id. Throws DeliveryError. */
  send(delivery: Delivery): Promise<string>;
}

export const CHANNEL_SENDERS = Symbol('CHANNEL_SENDERS');

