import { connect } from 'node:net';
import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { createTransport, Transporter } from 'nodemailer';
import { clientSpan } from '@statex/observability';
import { NotificationEnv } from '../notification.env';
import { ChannelSender, Delivery, DeliveryError } from './channel.types';

/** Email over SMTP through nodemailer's connection pool, with HTML and plain-text parts. */
@Injectable()
export class EmailChannel implements ChannelSender, OnApplicationShutdown {
  readonly channel = 'email' as const;
  private readonly transport: Transporter;

  constructor(private readonly env: NotificationEnv) {
    this.transport = createTransport({
      pool: true,
      // A connection for every delivery the email channel works on at once (EMAIL_CONCURRENCY): with
      // fewer, deliveries queue for a connection and the channel sends at most connections ÷ SMTP time.
      maxConnections: env.EMAIL_CONCURRENCY,
      host: env.SMTP_HOST,
      port: env.SMTP_PORT,
      secure: env.SMTP_SECURE,
      auth: env.SMTP_USER ? { user: env.SMTP_USER, pass: env.SMTP_PASS } : undefined,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
      // Local catchers (MailDev, Mailpit) use self-signed certificates if any.
      tls: { rejectUnauthorized: env.NODE_ENV === 'production' },
      // Each connection with Nagle's algorithm off. nodemailer writes a message's final "." line apart
      // from its body, and with Nagle on that line waits for the server's delayed ACK of the body,
      // 40 ms on Linux, so every message took 44 ms on a local server instead of 2 (docs/benchmarks.md).
      // nodemailer has no option for it; getSocket is its documented way to supply the connection
      // (it still does the TLS of SMTP_SECURE on top, and its timeouts).
      getSocket: (_options, callback) => callback(null, { connection: connect({ host: env.SMTP_HOST, port: env.SMTP_PORT, noDelay: true }) }),
    });
  }

  isConfigured(): boolean {
    return Boolean(this.env.SMTP_HOST);
  }

  async send(delivery: Delivery): Promise<string> {
    try {
      const info = await clientSpan('smtp send', { 'server.address': this.env.SMTP_HOST, 'server.port': this.env.SMTP_PORT, 'statex.notification_id': delivery.notificationId }, () => this.transport.sendMail({
        from: this.env.SMTP_FROM,
        to: delivery.recipient,
        subject: delivery.message.subject ?? '',
        text: delivery.message.text,
        html: delivery.message.html,
        // The same logical message keeps one Message-ID across retries.
        messageId: `<${delivery.notificationId}@statex>`,
        headers: { 'X-StateX-Notification-Id': delivery.notificationId },
      }));
      return info.messageId;
    } catch (error) {
      const responseCode = (error as { responseCode?: number }).responseCode;
      const permanent = typeof responseCode === 'number' && responseCode >= 500 && responseCode < 600;
      throw new DeliveryError(`SMTP ${this.env.SMTP_HOST}:${this.env.SMTP_PORT}: ${(error as Error).message}`, permanent);
    }
  }

  onApplicationShutdown(): void {
    this.transport.close();
  }
}
