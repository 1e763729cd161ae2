import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { DynamicModule, RequestMethod } from '@nestjs/common';
import { LoggerModule, PinoLogger } from 'nestjs-pino';
import type { Options } from 'pino-http';
import { storage, Store } from 'nestjs-pino/storage';
import { logShippingConfig } from './log-shipping/log-shipping.config';
import { logDestination } from './log-shipping/log-shipping.stream';

export const CORRELATION_HEADER = 'x-correlation-id';

const REQUEST_LOG_FIELDS = Symbol('statex.requestLogFields');
const REQUEST_LOG_MESSAGE = Symbol('statex.requestLogMessage');
type AnnotatedRequest = IncomingMessage & { [REQUEST_LOG_FIELDS]?: Record<string, unknown>; [REQUEST_LOG_MESSAGE]?: string };

/**
 * Fields for the request's own log line (written when the response is sent), so a route can say
 * what it did there instead of writing a second line: one line per request is the cheap way.
 */
export function addRequestLogFields(req: IncomingMessage, fields: Record<string, unknown>, message?: string): void {
  const r = req as AnnotatedRequest;
  r[REQUEST_LOG_FIELDS] = { ...r[REQUEST_LOG_FIELDS], ...fields };
  if (message) r[REQUEST_LOG_MESSAGE] = message;
}

/** The caller's X-Correlation-Id (or X-Request-Id) when well-formed, else a new UUID. */
export function correlationIdOf(req: IncomingMessage): string {
  const header = req.headers[CORRELATION_HEADER] ?? req.headers['x-request-id'];
  const value = Array.isArray(header) ? header[0] : header;
  return value && /^[\w.:-]{1,128}$/.test(value) ? value : randomUUID();
}

/**
 * Where secrets sit in what we log: request headers, and fields named like a secret at the
 * top level or one or two levels down. pino replaces them with `[Redacted]` before a line
 * leaves the process (stdout and shipping alike); the logging service scrubs again on ingest.
 */
const SECRET_KEYS = ['password', 'newPassword', 'currentPassword', 'token', 'accessToken', 'refreshToken', 'idToken', 'secret', 'clientSecret', 'apiKey', 'authorization', 'cookie'];
export const LOG_REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((key) => `*.${key}`),
  ...SECRET_KEYS.map((key) => `*.*.${key}`),
];

/**
 * Structured JSON logs (pino). Every line written while handling a request or a
 * message carries its correlation id. Lines go to stdout and, unless LOG_SHIPPING=off,
 * to the logging service through RabbitMQ, in batches (see log-shipping/).
 */
export function loggerModule(service: string, level: string): DynamicModule {
  const destination = logDestination(service, logShippingConfig());
  const options = requestLoggerOptions(service, level);
  return LoggerModule.forRoot({
    forRoutes: [{ path: '{*splat}', method: RequestMethod.ALL }],
    pinoHttp: destination ? [options, destination] : options,
  });
}

/** The pino (and pino-http) options of every service's logger: shape, request line, redaction. */
export function requestLoggerOptions(service: string, level: string): Options {
  return {
    level,
    base: { service },
    messageKey: 'message',
    timestamp: () => `,"time":"${new Date().toISOString()}"`,
    formatters: { level: (label: string) => ({ level: label }) },
    // Fastify has already set req.id to the correlation id (runtime's genReqId).
    genReqId: (req) => (req as IncomingMessage & { id?: string }).id ?? correlationIdOf(req),
    customProps: (req) => ({ correlationId: (req as IncomingMessage & { id?: string }).id }),
    customSuccessObject: (req, _res, value) => {
      const fields = (req as AnnotatedRequest)[REQUEST_LOG_FIELDS];
      return fields ? { ...value, ...fields } : value;
    },
    customSuccessMessage: (req) => (req as AnnotatedRequest)[REQUEST_LOG_MESSAGE] ?? 'request completed',
    autoLogging: { ignore: (req) => /^\/(health|metrics)/.test(req.url ?? '') },
    // One short line per request: what an access log needs, not every header (the cost of a line
    // grows with it, and headers are where credentials travel).
    serializers: {
      req: (req: { id?: unknown; method?: string; url?: string; remoteAddress?: string }) => ({ id: req.id, method: req.method, url: req.url, remoteAddress: req.remoteAddress }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
    },
    redact: LOG_REDACT_PATHS,
  };
}

/** Runs work with a logger whose every line carries these fields (e.g. correlationId of a message). */
export function withLogContext<T>(fields: Record<string, unknown>, work: () => Promise<T>): Promise<T> {
  const root = PinoLogger.root;
  if (!root) return work();
  return storage.run(new Store(root.child(fields)), work);
}
