import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { DynamicModule, Module } from '@nestjs/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { LoggerModule } from 'nestjs-pino';
import { storage, type Store } from 'nestjs-pino/storage';
import pino from 'pino';
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
 * Fields whose values never leave a process in a log line: credentials by the names our code and
 * the libraries we use give them, and the request and response headers that carry them.
 */
export const SECRET_LOG_FIELDS = ['password', 'newPassword', 'currentPassword', 'token', 'accessToken', 'refreshToken', 'idToken', 'secret', 'clientSecret', 'apiKey', 'authorization', 'cookie', 'x-api-key', 'set-cookie'];
export const LOG_REDACTED = '[Redacted]';
const SECRET_FIELD = new Set(SECRET_LOG_FIELDS);
const SECRET_FIELD_IN_LINE = new RegExp(`"(?:${SECRET_LOG_FIELDS.join('|')})":`);
const SECRET_VALUE_IN_TEXT = new RegExp(`("(?:${SECRET_LOG_FIELDS.join('|')})":)("(?:[^"\\\\]|\\\\.)*"|[^,}\\]]*)`, 'g');
/** Deeper than this, a line's value is not walked but replaced (a log line is not a document). */
const REDACT_MAX_DEPTH = 32;

function redactValue(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth > REDACT_MAX_DEPTH) return LOG_REDACTED;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1));
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    record[key] = SECRET_FIELD.has(key) && record[key] !== null && record[key] !== '' ? LOG_REDACTED : redactValue(record[key], depth + 1);
  }
  return record;
}

/**
 * pino's `streamWrite` hook: the finished line, with the value of every secret-named field, at any
 * depth and in child bindings alike, replaced by `[Redacted]` before it leaves the process (stdout
 * and shipping alike; the logging service scrubs again on ingest). A line without such a field
 * (nearly every line) costs one regular-expression test; one with it is parsed, cleaned and
 * written again. pino's own path-based `redact` walked some forty paths for every line and every
 * child logger (docs/benchmarks.md).
 */
export function redactLogLine(line: string): string {
  if (!SECRET_FIELD_IN_LINE.test(line)) return line;
  const newline = line.endsWith('\n') ? '\n' : '';
  try {
    return JSON.stringify(redactValue(JSON.parse(line), 0)) + newline;
  } catch {
    // Not JSON (a custom formatter's doing): still never write the secrets' values.
    return line.replace(SECRET_VALUE_IN_TEXT, `$1"${LOG_REDACTED}"`);
  }
}

/** The process's latest service logger: what `withLogContext` derives its loggers from. */
let processLogger: pino.Logger | undefined;

/** The DI token of the service's root pino logger (what `logRequests` writes the request lines with). */
export const SERVICE_LOGGER = Symbol('statex.serviceLogger');

@Module({})
class ServiceLoggerModule {}

/**
 * Structured JSON logs (pino). Every line written while handling a request or a
 * message carries its correlation id. Lines go to stdout and, unless LOG_SHIPPING=off,
 * to the logging service through RabbitMQ, in batches (see log-shipping/).
 * nestjs-pino gives Nest its logger; the request lines are `logRequests`' (Fastify hooks),
 * so nestjs-pino installs no middleware of its own.
 */
export function loggerModule(service: string, level: string, destination = logDestination(service, logShippingConfig())): DynamicModule {
  const options = serviceLoggerOptions(service, level);
  const logger = destination ? pino(options, destination) : pino(options);
  processLogger = logger;
  return {
    module: ServiceLoggerModule,
    global: true,
    imports: [LoggerModule.forRoot({ pinoHttp: { logger }, useExisting: true, forRoutes: [] })],
    providers: [{ provide: SERVICE_LOGGER, useValue: logger }],
    exports: [SERVICE_LOGGER, LoggerModule],
  };
}

/** The pino options of every service's logger: its shape and its redaction. */
export function serviceLoggerOptions(service: string, level: string): pino.LoggerOptions {
  return {
    level,
    base: { service },
    messageKey: 'message',
    timestamp: () => `,"time":"${new Date().toISOString()}"`,
    formatters: { level: (label: string) => ({ level: label }) },
    hooks: { streamWrite: redactLogLine },
  };
}

/**
 * nestjs-pino's store for the handling of one request or message: its child logger (the
 * correlation id and the like on every line) is made only when something logs. Most requests
 * and messages write no line but their own, and a child logger costs more than a line.
 */
class LazyChildStore {
  private child?: pino.Logger;
  readonly responseLogger = undefined;
  constructor(
    private readonly root: pino.Logger,
    private readonly bindings: Record<string, unknown>,
  ) {}
  get logger(): pino.Logger {
    return (this.child ??= this.root.child(this.bindings));
  }
  set logger(logger: pino.Logger) {
    this.child = logger;
  }
}

function runWithLogStore<T>(root: pino.Logger, bindings: Record<string, unknown>, work: () => T): T {
  return storage.run(new LazyChildStore(root, bindings) as unknown as Store, work);
}

const UNLOGGED_PATHS = /^\/(health|metrics)(\/|\?|$)/;

/**
 * One line per request, written when the response has been sent: its correlation id, the request
 * (id, method, URL, client address; never headers or body), the status, the time taken, and what
 * the route added with `addRequestLogFields`. Health checks and metrics scrapes are not logged.
 * Everything logged while handling the request (guards, handlers) carries its correlationId.
 */
export function logRequests(fastify: FastifyInstance, logger: pino.Logger): void {
  fastify.addHook('onRequest', (request, _reply, done) => {
    runWithLogStore(logger, { correlationId: request.id }, done);
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    if (!UNLOGGED_PATHS.test(request.url)) {
      const annotated = request.raw as AnnotatedRequest;
      const line = {
        correlationId: request.id,
        req: requestFields(request),
        res: { statusCode: reply.statusCode },
        responseTime: Math.round(reply.elapsedTime * 10) / 10,
        ...annotated[REQUEST_LOG_FIELDS],
      };
      if (reply.statusCode >= 500) logger.error(line, annotated[REQUEST_LOG_MESSAGE] ?? 'request failed');
      else logger.info(line, annotated[REQUEST_LOG_MESSAGE] ?? 'request completed');
    }
    done();
  });
  fastify.addHook('onRequestAbort', (request, done) => {
    logger.info({ correlationId: request.id, req: requestFields(request) }, 'request aborted by the client');
    done();
  });
}

/** The access-log fields of a request: never its headers (where credentials travel) or body. */
function requestFields(request: FastifyRequest): Record<string, unknown> {
  return { id: request.id, method: request.method, url: request.url, remoteAddress: request.ip };
}

/** Runs work with a logger whose every line carries these fields (e.g. correlationId of a message). */
export function withLogContext<T>(fields: Record<string, unknown>, work: () => Promise<T>): Promise<T> {
  return processLogger ? runWithLogStore(processLogger, fields, work) : work();
}
