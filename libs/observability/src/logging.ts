import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { DynamicModule, RequestMethod } from '@nestjs/common';
import { LoggerModule, PinoLogger } from 'nestjs-pino';
import { storage, Store } from 'nestjs-pino/storage';

export const CORRELATION_HEADER = 'x-correlation-id';

/** The caller's X-Correlation-Id (or X-Request-Id) when well-formed, else a new UUID. */
export function correlationIdOf(req: IncomingMessage): string {
  const header = req.headers[CORRELATION_HEADER] ?? req.headers['x-request-id'];
  const value = Array.isArray(header) ? header[0] : header;
  return value && /^[\w.:-]{1,128}$/.test(value) ? value : randomUUID();
}

/**
 * Structured JSON logs (pino). Every line written while handling a request or a
 * message carries its correlation id.
 */
export function loggerModule(service: string, level: string): DynamicModule {
  return LoggerModule.forRoot({
    forRoutes: [{ path: '{*splat}', method: RequestMethod.ALL }],
    pinoHttp: {
      level,
      base: { service },
      messageKey: 'message',
      timestamp: () => `,"time":"${new Date().toISOString()}"`,
      formatters: { level: (label: string) => ({ level: label }) },
      // Fastify has already set req.id to the correlation id (runtime's genReqId).
      genReqId: (req) => (req as IncomingMessage & { id?: string }).id ?? correlationIdOf(req),
      customProps: (req) => ({ correlationId: (req as IncomingMessage & { id?: string }).id }),
      autoLogging: { ignore: (req) => /^\/(health|metrics)/.test(req.url ?? '') },
      redact: ['req.headers.authorization', 'req.headers.cookie'],
    },
  });
}

/** Runs work with a logger whose every line carries these fields (e.g. correlationId of a message). */
export function withLogContext<T>(fields: Record<string, unknown>, work: () => Promise<T>): Promise<T> {
  const root = PinoLogger.root;
  if (!root) return work();
  return storage.run(new Store(root.child(fields)), work);
}
