import { IsIn, IsInt, Matches, Max, Min } from 'class-validator';
import { EnvSource, loadEnv, NumberFromEnv, readEnvSource } from '@statex/config';

/**
 * What every service's logger reads to ship its lines (besides stdout) to the logging
 * service. A library's variables, read by every app: documented in `.env.example`.
 */
export class LogShippingEnv {
  /** `on`: lines also go to RabbitMQ (`<ns>.logs`), batched by a LogShipper; `off`: stdout only. */
  @IsIn(['on', 'off'])
  LOG_SHIPPING: 'on' | 'off' = 'on';

  /** The broker for log lines; empty means RABBITMQ_URL. */
  @Matches(/^$|^amqps?:\/\/.+/, { message: 'LOG_SHIPPING_URL must be empty or an amqp:// or amqps:// URL' })
  LOG_SHIPPING_URL = '';

  @Matches(/^amqps?:\/\/.+/, { message: 'RABBITMQ_URL must be an amqp:// or amqps:// URL' })
  RABBITMQ_URL = 'amqp://guest:guest@127.0.0.1:5672';

  @Matches(/^[a-z0-9][a-z0-9_-]*$/, { message: 'RABBITMQ_NAMESPACE must be lowercase letters, digits, - or _' })
  RABBITMQ_NAMESPACE = 'statex';

  /** Lines held while the broker is unreachable; past this, lines are dropped (and counted). */
  @NumberFromEnv()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  LOG_SHIPPING_BUFFER_LINES: number = 10_000;

  @NumberFromEnv()
  @IsInt()
  @Min(1)
  @Max(10_000)
  LOG_SHIPPING_BATCH_LINES: number = 200;

  @NumberFromEnv()
  @IsInt()
  @Min(10)
  @Max(60_000)
  LOG_SHIPPING_FLUSH_MS: number = 1000;
}

export interface LogShippingConfig {
  enabled: boolean;
  url: string;
  namespace: string;
  bufferLines: number;
  batchLines: number;
  flushMs: number;
}

/** The shipping settings from the environment (the `.env` file under the real environment). */
export function logShippingConfig(source: EnvSource = readEnvSource()): LogShippingConfig {
  const env = loadEnv(LogShippingEnv, source);
  return {
    enabled: env.LOG_SHIPPING === 'on',
    url: env.LOG_SHIPPING_URL || env.RABBITMQ_URL,
    namespace: env.RABBITMQ_NAMESPACE,
    bufferLines: env.LOG_SHIPPING_BUFFER_LINES,
    batchLines: env.LOG_SHIPPING_BATCH_LINES,
    flushMs: env.LOG_SHIPPING_FLUSH_MS,
  };
}
