import { IsInt, IsNotEmpty, IsString, IsUrl, Matches, Max, Min, ValidateIf } from 'class-validator';
import { BooleanFromEnv, DatabaseEnv, NumberFromEnv } from '@statex/config';

export class NotificationEnv extends DatabaseEnv {
  @NumberFromEnv()
  @IsInt()
  @Min(1)
  @Max(65535)
  NOTIFICATION_PORT: number = 8005;

  @IsString()
  @IsNotEmpty()
  SMTP_HOST = '127.0.0.1';

  @NumberFromEnv()
  @IsInt()
  @Min(1)
  @Max(65535)
  SMTP_PORT: number = 1025;

  /** true for implicit TLS (port 465); STARTTLS is used whenever the server offers it. */
  @BooleanFromEnv()
  SMTP_SECURE: boolean = false;

  @IsString()
  SMTP_USER = '';

  @ValidateIf((env: NotificationEnv) => env.SMTP_USER !== '')
  @IsString()
  @IsNotEmpty({ message: 'SMTP_PASS is required when SMTP_USER is set' })
  SMTP_PASS = '';

  /** The From header, e.g. `StateX <hello@statex.cz>`. */
  @IsString()
  @IsNotEmpty()
  SMTP_FROM = 'StateX <no-reply@statex.local>';


  /** Telegram Bot API token; without it the telegram channel is reported as not configured. */
  @IsString()
  TELEGRAM_BOT_TOKEN = '';

  /** The Bot API server: the public one, or a self-hosted Bot API server (or a test stand-in). */
  @IsUrl({ require_tld: false, require_protocol: true })
  TELEGRAM_API_ROOT = 'https://api.telegram.org';

  /** WhatsApp Business Cloud API base URL (Graph API with version). */
  @IsUrl({ require_tld: false, require_protocol: true })
  WHATSAPP_API_URL = 'https://graph.facebook.com/v21.0';

  @IsString()
  WHATSAPP_PHONE_NUMBER_ID = '';

  @IsString()
  WHATSAPP_TOKEN = '';

  /** The approved template used for the first message to a lead (WhatsApp allows no free text before it). */
  @IsString()
  @IsNotEmpty()
  WHATSAPP_TEMPLATE_NAME = 'statex_acknowledgement';

  /** Channels tried, in order, after the lead's own channel fails for good. */
  @Matches(/^$|^(email|telegram|whatsapp|linkedin)(,(email|telegram|whatsapp|linkedin))*$/, {
    message: 'NOTIFICATION_FALLBACK_CHAIN must be a comma-separated list of email, telegram, whatsapp, linkedin',
  })
  NOTIFICATION_FALLBACK_CHAIN = 'email';

  /** Delivery attempts per channel before a notification falls back or fails. */
  @NumberFromEnv()
  @IsInt()
  @Min(1)
  @Max(50)
  NOTIFICATION_MAX_ATTEMPTS: number = 6;

  /** First retry delay; it doubles each attempt, with jitter, unless the provider says when to retry. */
  @NumberFromEnv()
  @IsInt()
  @Min(10)
  NOTIFICATION_BACKOFF_MS: number = 2000;

  /**
   * Jobs the email channel works on at once, in each notification process, and the SMTP
   * connections it keeps open for them (one each): the channel sends at most this many messages
   * per SMTP round of the server (about 20 ms to a local catcher), so it bounds email throughput.
   */
  @NumberFromEnv()
  @IsInt()
  @Min(1)
  @Max(100)
  EMAIL_CONCURRENCY: number = 20;

  /** Jobs the telegram channel works on at once, in each notification process. */
  @NumberFromEnv()
  @IsInt()
  @Min(1)
  @Max(100)
  TELEGRAM_CONCURRENCY: number = 5;

  /** Jobs the whatsapp channel works on at once, in each notification process. */
  @NumberFromEnv()
  @IsInt()
  @Min(1)
  @Max(100)
  WHATSAPP_CONCURRENCY: number = 5;

  /**
   * How long a worker holds a job before it counts as stalled: after a crash, its in-flight
   * jobs are taken up again this long after their last heartbeat.
   */
  @NumberFromEnv()
  @IsInt()
  @Min(1000)
  NOTIFICATION_STALLED_AFTER_MS: number = 30_000;

  /** Telegram allows about 30 messages per second per bot. */
  @NumberFromEnv()
  @IsInt()
  @Min(1)
  TELEGRAM_RATE_PER_SECOND: number = 30;

  @NumberFromEnv()
  @IsInt()
  @Min(1)
  WHATSAPP_RATE_PER_SECOND: number = 50;

  /**
   * The SMTP provider's sending limit, across every notification process. Each lead gets two
   * emails (acknowledgement, results): at 50 leads a second a limit of 50 queued half of them.
   */
  @NumberFromEnv()
  @IsInt()
  @Min(1)
  EMAIL_RATE_PER_SECOND: number = 200;

  /** A manual (LinkedIn) task still pending after this many hours is flagged overdue. */
  @NumberFromEnv()
  @Min(0)
  LINKEDIN_TASK_SLA_HOURS: number = 24;
}
