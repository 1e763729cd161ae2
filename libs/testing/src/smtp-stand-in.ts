import { AddressInfo } from 'node:net';
import { ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { waitFor } from './wait-for';

/** Epoch milliseconds with a sub-millisecond fraction. */
export const preciseNow = (): number => performance.timeOrigin + performance.now();

export type SmtpMode = 'accept' | 'temporary-failure' | 'permanent-failure';

/**
 * A real SMTP server for tests (nodemailer's smtp-server): it speaks the protocol,
 * parses what it receives, and can answer 451 or 550 to simulate a failing provider.
 */
export class SmtpStandIn {
  readonly messages: ParsedMail[] = [];
  /**
   * When each message had arrived whole (before parsing and any delay), in epoch milliseconds with
   * a fraction (`performance.timeOrigin + performance.now()`): for latency measures below a millisecond.
   */
  readonly receivedAt = new Map<ParsedMail, number>();
  mode: SmtpMode = 'accept';
  /** Answers each message after this long, like a slow provider. */
  delayMs = 0;
  /** Messages received whole and not yet answered (the window in which a sender's crash leaves it unsure). */
  unanswered = 0;
  private server?: SMTPServer;
  port = 0;

  async start(port = 0): Promise<this> {
    this.server = new SMTPServer({
      authOptional: true,
      // A stopped stand-in drops its clients at once, like a crashed provider.
      closeTimeout: 100,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData: (stream, _session, callback) => {
        if (this.mode !== 'accept') {
          stream.resume();
          stream.on('end', () => {
            const error = Object.assign(new Error(this.mode === 'temporary-failure' ? 'Try again later' : 'Mailbox unavailable'), {
              responseCode: this.mode === 'temporary-failure' ? 451 : 550,
            });
            callback(error);
          });
          return;
        }
        let arrived = preciseNow();
        stream.once('end', () => (arrived = preciseNow()));
        simpleParser(stream)
          .then(async (mail) => {
            this.receivedAt.set(mail, arrived);
            this.unanswered += 1;
            if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
            this.unanswered -= 1;
            this.messages.push(mail);
            callback();
          })
          .catch(callback);
      },
    });
    // A client killed mid-message (a crash test) resets its socket: a real provider shrugs that off.
    this.server.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.server.address() as AddressInfo).port;
    return this;
  }

  /** Stops listening (a "down" provider); `start(port)` brings it back on the same port. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Messages whose text contains `needle` (e.g. a request id). */
  find(needle: string): ParsedMail[] {
    return this.messages.filter((m) => `${m.subject ?? ''}\n${m.text ?? ''}`.includes(needle));
  }

  waitForMail(needle: string, timeoutMs = 20_000): Promise<ParsedMail> {
    return waitFor(() => this.find(needle)[0], { timeoutMs, what: `an email containing ${needle}` });
  }
}
