import type { IncomingMessage } from 'node:http';
import multipart from '@fastify/multipart';
import { DynamicModule, RequestMethod, Type } from '@nestjs/common';
import { ModuleRef, NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { pathsOf, protectPaths, ProtectedPath, TokenVerifier } from '@statex/auth';
import { BaseEnv, ConfigValidationError, loadEnv, parseDelays } from '@statex/config';
import { STAFF_ROLES } from '@statex/contracts';
import type { HealthIndicatorResult } from '@nestjs/terminus';
import { ConsumerRegistry, RmqEventServer } from '@statex/messaging';
import { DatabaseReadinessCheck } from '@statex/persistence';
import { RedisReadinessCheck } from '@statex/redis';
import { CORRELATION_HEADER, correlationIdOf, instrumentHttp, logRequests, SERVICE_LOGGER, setupSwagger, withLogContext } from '@statex/observability';
import { ErrorFilter } from './exception.filters';
import { createValidationPipe } from './validation';
import { releaseStartupMemory } from './startup-memory';

export interface ServiceDefinition<E extends BaseEnv> {
  /** kebab-case service name: its queue, database and log `service` field. */
  name: string;
  description: string;
  env: new () => E;
  port(env: E): number;
  module(env: E): DynamicModule | Type;
  /** Upload limits, for a service that accepts multipart/form-data. */
  multipart?(env: E): { fileSize: number; files: number };
  /** Anything else the app mounts on its HTTP server (e.g. a dashboard outside /api). */
  configure?(app: NestFastifyApplication, env: E): Promise<void>;
}

export interface RunningService {
  app: NestFastifyApplication;
  consumer: RmqEventServer;
}

/** Builds the hybrid app (Fastify HTTP + RabbitMQ consumer) without listening yet. */
export async function createService<E extends BaseEnv>(definition: ServiceDefinition<E>, env: E): Promise<RunningService> {
  const adapter = new FastifyAdapter({
    bodyLimit: 1024 * 1024,
    // Only configured proxies may say who the client is (rate limits key on the client address).
    trustProxy: env.TRUST_PROXY ? env.TRUST_PROXY : false,
    // A slow or stalled client cannot hold a connection or an upload open forever.
    requestTimeout: env.HTTP_REQUEST_TIMEOUT_MS,
    connectionTimeout: env.HTTP_IDLE_TIMEOUT_MS,
    // The request id is the correlation id: the caller's X-Correlation-Id or a new UUID.
    genReqId: (req: IncomingMessage) => correlationIdOf(req),
  });
  const app = await NestFactory.create<NestFastifyApplication>(definition.module(env), adapter, { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.flushLogs();

  const fastify = app.getHttpAdapter().getInstance();
  fastify.server.headersTimeout = env.HTTP_HEADERS_TIMEOUT_MS;
  // First, so that every later hook and the handler log with the request's correlation id.
  logRequests(fastify, app.get(SERVICE_LOGGER));
  instrumentHttp(fastify);
  protectPaths(fastify, app.get(TokenVerifier), edgePaths(env));
  if (env.METRICS_ACCESS === 'off') {
    fastify.addHook('onRequest', async (request, reply) => {
      if (pathsOf(request).includes('/metrics')) return reply.status(404).send({ statusCode: 404, message: 'Not Found' });
    });
  }
  fastify.addHook('onSend', async (request, reply) => {
    void reply.header(CORRELATION_HEADER, request.id);
  });
  const limits = definition.multipart?.(env);
  if (limits) {
    await app.register(multipart as never, { limits: { fileSize: limits.fileSize, files: limits.files, fields: 20, fieldSize: 64 * 1024, parts: 30 } });
  }

  await definition.configure?.(app, env);

  app.setGlobalPrefix('api', {
    exclude: [
      { path: 'health/live', method: RequestMethod.GET },
      { path: 'health/ready', method: RequestMethod.GET },
      { path: 'metrics', method: RequestMethod.GET },
    ],
  });
  app.useGlobalPipes(createValidationPipe());
  const dependencies = dependencyProbe(app);
  app.useGlobalFilters(new ErrorFilter(dependencies));
  app.enableShutdownHooks();
  if (env.DOCS_ACCESS !== 'off') setupSwagger(app, definition.name, definition.description);

  const consumer = new RmqEventServer({
    url: env.RABBITMQ_URL,
    namespace: env.RABBITMQ_NAMESPACE,
    service: definition.name,
    prefetch: env.RABBITMQ_PREFETCH,
    retryDelaysMs: parseDelays(env.RABBITMQ_RETRY_DELAYS_MS),
    dependencies,
    runInContext: (meta, work) =>
      withLogContext({ correlationId: meta.correlationId, messageId: meta.messageId, routingKey: meta.routingKey, attempt: meta.attempt }, work),
  });
  // Inherit the app's pipe and filter: both know which side (HTTP or message) they serve.
  app.connectMicroservice({ strategy: consumer }, { inheritAppConfig: true });
  app.get(ConsumerRegistry).consumer = consumer;
  return { app, consumer };
}

/** The service's database and Redis, where it has them: the first one unreachable, or null. */
function dependencyProbe(app: NestFastifyApplication): () => Promise<string | null> {
  // ModuleRef, not app.get: the app's proxy exits the process on a missing provider.
  const modules = app.get(ModuleRef);
  const checks = [DatabaseReadinessCheck, RedisReadinessCheck].flatMap((type) => {
    try {
      return [modules.get<{ name: string; isHealthy(): Promise<HealthIndicatorResult> }>(type, { strict: false })];
    } catch {
      return [];
    }
  });
  return async () => {
    for (const check of checks) {
      const result = (await check.isHealthy())[check.name];
      if (result?.status !== 'up') return `${check.name} is unreachable (${String(result?.message ?? 'down')})`;
    }
    return null;
  };
}

/** Swagger and metrics, behind a staff token when configured so (METRICS_ACCESS also lets a `service` token scrape). */
function edgePaths(env: BaseEnv): ProtectedPath[] {
  const paths: ProtectedPath[] = [];
  if (env.DOCS_ACCESS === 'staff') paths.push({ prefix: '/docs', roles: STAFF_ROLES });
  if (env.METRICS_ACCESS === 'staff') paths.push({ prefix: '/metrics', roles: [...STAFF_ROLES, 'service'] });
  return paths;
}

/** Starts consuming and listening. */
export async function startService<E extends BaseEnv>(definition: ServiceDefinition<E>, env: E, port = definition.port(env)): Promise<RunningService> {
  const running = await createService(definition, env);
  await running.app.startAllMicroservices();
  await running.app.listen(port, env.HTTP_HOST);
  return running;
}

/** The `main.ts` of every app: validate the environment (exit 1 naming what is wrong), then start. */
export function runService<E extends BaseEnv>(definition: ServiceDefinition<E>): void {
  let env: E;
  try {
    env = loadEnv(definition.env);
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      process.stderr.write(`${definition.name}: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  startService(definition, env)
    .then(({ app }) => {
      app.get(Logger).log(`${definition.name} listening on port ${definition.port(env)}`, 'Bootstrap');
      releaseStartupMemory();
    })
    .catch((error: Error) => {
      process.stderr.write(`${definition.name} failed to start: ${error.stack ?? error.message}\n`);
      process.exit(1);
    });
}
