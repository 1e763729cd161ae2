import { Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ChannelsReadinessCheck } from './channels.readiness';
import { EmailChannel } from './email.channel';
import { TelegramChannel } from './telegram.channel';
import { WhatsAppChannel } from './whatsapp.channel';

/** The channel senders, global so the readiness check can report on them. */
@Global()
@Module({
  imports: [TerminusModule],
  providers: [EmailChannel, TelegramChannel, WhatsAppChannel, ChannelsReadinessCheck],
  exports: [EmailChannel, TelegramChannel, WhatsAppChannel, ChannelsReadinessCheck],
})
export class ChannelsModule {}
