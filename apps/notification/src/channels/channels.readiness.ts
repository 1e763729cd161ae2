import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { EmailChannel } from './email.channel';
import { TelegramChannel } from './telegram.channel';
import { WhatsAppChannel } from './whatsapp.channel';

/** Reports which channels have credentials; a channel without them never fails readiness. */
@Injectable()
export class ChannelsReadinessCheck {
  readonly name = 'channels';

  constructor(
    private readonly health: HealthIndicatorService,
    private readonly email: EmailChannel,
    private readonly telegram: TelegramChannel,
    private readonly whatsapp: WhatsAppChannel,
  ) {}

  async isHealthy(): Promise<HealthIndicatorResult> {
    const state = (configured: boolean) => (configured ? 'configured' : 'not configured');
    return this.health.check(this.name).up({
      email: state(this.email.isConfigured()),
      telegram: state(this.telegram.isConfigured()),
      whatsapp: state(this.whatsapp.isConfigured()),
      linkedin: 'manual tasks',
    });
  }
}
