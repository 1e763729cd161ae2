import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsNotEmpty, IsString, IsUrl, Matches, Max, Min } from 'class-validator';

const toBoolean = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? ['1', 'true', 'yes', 'on'].includes(value.toLowerCase()) : value;

export const BooleanFromEnv = () => Transform(toBoolean);

const toNumber = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)) ? Number(value) : value;

/** Environment values are strings: convert explicitly rather than trusting reflected types. */
export const NumberFromEnv = () => Transform(toNumber);

/** Variables every StateX service reads. Defaults work against services on localhost. */
export class BaseEnv {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  /** Loopback by default: a service is reachable from other machines only when this says so (compose sets 0.0.0.0). */
  @IsString()
  @IsNotEmpty()
  HTTP_HOST = '127.0.0.1';

  /** The longest a whole request (an upload included) may take before the server answers 408 and closes. */
  @NumberFromEnv()
  @IsInt()
  @Min(1000)
  HTTP_REQUEST_TIMEOUT_MS: number = 120_000;

  /** The longest a client may take to send its request headers (slowloris). */
  @NumberFromEnv()
  @IsInt()
  @Min(500)
  HTTP_HEADERS_TIMEOUT_MS: number = 10_000;

  /** A connection on which nothing moves for this long is closed (an upload that stopped sending). */
  @NumberFromEnv()
  @IsInt()
  @Min(500)
  HTTP_IDLE_TIMEOUT_MS: number = 30_000;

  /**
   * Proxies whose X-Forwarded-For is believed, as addresses or CIDR ranges, comma-separated
   * (e.g. `127.0.0.1,10.0.0.0/8`). Empty: none, the client address is the socket's.
   */
  @Matches(/^$|^[0-9a-fA-F.:/]+(,[0-9a-fA-F.:/]+)*$/, { message: 'TRUST_PROXY must be empty or a comma-separated list of addresses or CIDR ranges' })
  TRUST_PROXY = '';

  /** user-portal, as the services reach it: its JWKS verifies every access token. */
  @IsUrl({ require_tld: false, require_protocol: true })
  USER_PORTAL_URL = 'http://127.0.0.1:8006';

  /** The JWKS that access tokens are checked against; empty means `<USER_PORTAL_URL>/.well-known/jwks.json`. */
  @Matches(/^$|^https?:\/\/.+/, { message: 'AUTH_JWKS_URL must be empty or an http(s) URL' })
  AUTH_JWKS_URL = '';

  /** The `iss` every access token must carry (user-portal signs with it). */
  @IsString()
  @IsNotEmpty()
  AUTH_ISSUER = 'http://localhost:8006';

  /** The `aud` every access token must carry. */
  @IsString()
  @IsNotEmpty()
  AUTH_AUDIENCE = 'statex';

  /** `/docs` and `/docs-json`: public, staff (an operator or admin token) or off. */
  @IsIn(['public', 'staff', 'off'])
  DOCS_ACCESS: 'public' | 'staff' | 'off' = 'public';

  /** `/metrics`: public, staff (an operator, admin or service token) or off. */
  @IsIn(['public', 'staff', 'off'])
  METRICS_ACCESS: 'public' | 'staff' | 'off' = 'public';

  @Matches(/^amqps?:\/\/.+/, { message: 'RABBITMQ_URL must be an amqp:// or amqps:// URL' })
  RABBITMQ_URL = 'amqp://guest:guest@127.0.0.1:5672';

  /** Prefix of every exchange and queue name: `<ns>.events`, `<ns>.<service>`, `<ns>.<service>.dlq`. */
  @Matches(/^[a-z0-9][a-z0-9_-]*$/, { message: 'RABBITMQ_NAMESPACE must be lowercase letters, digits, - or _' })
  RABBITMQ_NAMESPACE = 'statex';

  @NumberFromEnv()
  @NumberFromEnv()
  @IsInt()
  @Min(1)
  @Max(1000)
  RABBITMQ_PREFETCH: number = 10;

  /** Growing delays between attempts of a failing handler; attempts = delays + 1, then the message is parked. */
  @Matches(/^\d+(,\d+)*$/, { message: 'RABBITMQ_RETRY_DELAYS_MS must be a comma-separated list of milliseconds' })
  RABBITMQ_RETRY_DELAYS_MS = '1000,5000,30000';

  @NumberFromEnv()
  @NumberFromEnv()
  @IsInt()
  @Min(50)
  OUTBOX_POLL_INTERVAL_MS: number = 1000;

  /** Failed publishes (the broker reachable) after which an outbox row is set aside for an operator. */
  @NumberFromEnv()
  @IsInt()
  @Min(1)
  OUTBOX_MAX_ATTEMPTS: number = 20;

  /** Published outbox rows are deleted after this many hours. */
  @NumberFromEnv()
  @IsInt()
  @Min(1)
  OUTBOX_RETENTION_HOURS: number = 72;

  /** Processed inbox rows are deleted after this many days: longer than any redelivery or replay of a parked message. */
  @NumberFromEnv()
  @IsInt()
  @Min(1)
  INBOX_RETENTION_DAYS: number = 14;

  @Matches(/^rediss?:\/\/.+/, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL = 'redis://127.0.0.1:6379';

  /** Prefix of every BullMQ key in Redis, so several platforms (or test runs) can share one Redis. */
  @Matches(/^[a-z0-9][a-z0-9_-]*$/, { message: 'BULLMQ_PREFIX must be lowercase letters, digits, - or _' })
  BULLMQ_PREFIX = 'statex';
}

/** Variables of a service that owns a PostgreSQL database (`<prefix><service>`). */
export class DatabaseEnv extends BaseEnv {
  @IsString()
  @IsNotEmpty()
  POSTGRES_HOST = '127.0.0.1';

  @NumberFromEnv()
  @NumberFromEnv()
  @IsInt()
  @Min(1)
  @Max(65535)
  POSTGRES_PORT: number = 5432;

  @IsString()
  @IsNotEmpty()
  POSTGRES_USER = 'postgres';

  @IsString()
  POSTGRES_PASSWORD = '';

  @Matches(/^[a-z_][a-z0-9_]*$/, { message: 'POSTGRES_DB_PREFIX must be lowercase letters, digits or _' })
  POSTGRES_DB_PREFIX = 'statex_';
}

export function parseDelays(list: string): number[] {
  return list.split(',').map((part) => Number.parseInt(part, 10));
}
