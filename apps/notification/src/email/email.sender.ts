import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { createTransport, Transporter } from 'nodemailer';
import { NotificationEnv } from '../notification.env';

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Lets the provider (and our own retries) recognise one logical message. */
  messageId?: string;
  headers?: Record<string, string>;
}

export class EmailDeliveryError extends Error {
  constructor(message: string, readonly permanent: boolean) {
    super(message);
    this.name = 'EmailDeliveryError';
  }
}

/** SMTP through nodemailer with a pooled connection. */
@Injectable()
export class EmailSender implements OnApplicationShutdown {
  private readonly transport: Transporter;

  constructor(private readonly env: NotificationEnv) {
    this.transport = createTransport({
      pool: true,
      maxConnections: 5,
      host: env.SMTP_HOST,
      port: env.SMTP_PORT,
      secure: env.SMTP_SECURE,
      auth: env.SMTP_USER ? { user: env.SMTP_USER, pass: env.SMTP_PASS } : undefined,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
      // Local catchers (MailDev, Mailpit) use self-signed certificates if any.
      tls: { rejectUnauthorized: env.NODE_ENV === 'production' },
    });
  }

  /** Returns the provider's message id. Throws EmailDeliveryError, `permanent` for a 5xx answer. */
  async send(message: EmailMessage): Promise<string> {
    try {
      const info = await this.transport.sendMail({ from: this.env.SMTP_FROM, ...message });
      return info.messageId;
    } catch (error) {
      const responseCode = (error as { responseCode?: number }).responseCode;
      const permanent = typeof responseCode === 'number' && responseCode >= 500 && responseCode < 600;
      throw new EmailDeliveryError(`SMTP ${this.env.SMTP_HOST}:${this.env.SMTP_PORT}: ${(error as Error).message}`, permanent);
    }
  }

  onApplicationShutdown(): void {
    this.transport.close();
  }
}
