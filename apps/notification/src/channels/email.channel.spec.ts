import { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { SmtpStandIn } from '@statex/testing/smtp';
import { NotificationEnv } from '../notification.env';
import { Delivery } from './channel.types';
import { EmailChannel } from './email.channel';

const delivery = (i: number): Delivery => ({
  notificationId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  recipient: 'lead@example.com',
  locale: 'en',
  template: 'request-received',
  message: { subject: `Message ${i}`, text: `Text ${i}`, html: `<p>Text ${i}</p>` },
  data: {},
  firstContact: false,
});

const channelFor = (port: number, overrides: Partial<NotificationEnv> = {}) =>
  new EmailChannel(Object.assign(new NotificationEnv(), { NODE_ENV: 'test', SMTP_HOST: '127.0.0.1', SMTP_PORT: port, EMAIL_CONCURRENCY: 1, ...overrides }));

describe('EmailChannel', () => {
  it("sends message after message on one connection without waiting for the server's delayed ACK", async () => {
    const smtp = await new SmtpStandIn().start();
    const channel = channelFor(smtp.port);
    try {
      await channel.send(delivery(0)); // opens the pooled connection
      const started = performance.now();
      for (let i = 1; i <= 40; i++) await channel.send(delivery(i));
      const elapsed = performance.now() - started;
      // With Nagle's algorithm on, each message's final "." line waits for the server's delayed ACK
      // of its body, 40 ms on Linux: 40 messages would take 1.6 s or more. Without it a message takes
      // a few milliseconds here; the bound is half the stall, so a busy machine does not fail it.
      expect(elapsed).toBeLessThan(40 * 20);
      expect(smtp.messages.map((m) => m.subject)).toEqual(Array.from({ length: 41 }, (_, i) => `Message ${i}`));
    } finally {
      channel.onApplicationShutdown();
      await smtp.stop();
    }
  });

  it('speaks SMTP over TLS from the first byte with SMTP_SECURE (port 465 style) on its own connection', async () => {
    const subjects: string[] = [];
    // smtp-server's built-in self-signed certificate; the channel accepts it outside production.
    const server = new SMTPServer({
      secure: true,
      authOptional: true,
      logger: false,
      onData: (stream, session, callback) => {
        let raw = '';
        stream.on('data', (chunk: Buffer) => (raw += chunk.toString()));
        stream.on('end', () => {
          subjects.push(`${/^Subject: (.*)$/m.exec(raw)?.[1]} over ${session.secure ? 'TLS' : 'plain TCP'}`);
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const channel = channelFor((server.server.address() as AddressInfo).port, { SMTP_SECURE: true });
    try {
      await channel.send(delivery(1));
      expect(subjects).toEqual(['Message 1 over TLS']);
    } finally {
      channel.onApplicationShutdown();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('fails a send with a retryable error when nothing listens at SMTP_HOST:SMTP_PORT', async () => {
    const smtp = await new SmtpStandIn().start();
    const port = smtp.port;
    await smtp.stop();
    const channel = channelFor(port);
    try {
      await expect(channel.send(delivery(1))).rejects.toMatchObject({ name: 'DeliveryError', permanent: false, message: expect.stringMatching(/ECONNREFUSED/) });
    } finally {
      channel.onApplicationShutdown();
    }
  });
});
