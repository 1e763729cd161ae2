/**
 * OpenTelemetry tracing for a StateX service: off unless `OTEL_EXPORTER_OTLP_ENDPOINT` (or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set, and then nothing of the SDK is even loaded.
 *
 * Imported first by every app's `tracing.ts`, before anything it instruments is required: the
 * http/https modules (server and client spans), undici (fetch), pg, ioredis and pino (the trace and
 * span ids on every log line written inside a span). Spans of the messaging library (publish and
 * process, with W3C `traceparent` in AMQP headers and in outbox rows), BullMQ (bullmq-otel) and SMTP
 * come from @opentelemetry/api calls in the code, which are no-ops while tracing is off.
 *
 * The exporter is OTLP over HTTP and honours the standard variables: `OTEL_EXPORTER_OTLP_PROTOCOL`
 * (`http/protobuf`, the default, or `http/json`), `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_SERVICE_NAME`,
 * `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG`, `OTEL_BSP_*`,
 * `OTEL_SDK_DISABLED`.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- loaded only when tracing is on */

let started = false;

function otelLinesOfEnvFile(env: NodeJS.ProcessEnv): Record<string, string> {
  const { existsSync, readFileSync } = require('node:fs') as typeof import('node:fs');
  const { resolve } = require('node:path') as typeof import('node:path');
  const file = resolve(env.ENV_FILE ?? '.env');
  if (!existsSync(file)) return {};
  const { parse } = require('dotenv') as typeof import('dotenv');
  return Object.fromEntries(Object.entries(parse(readFileSync(file))).filter(([key]) => key.startsWith('OTEL_')));
}

export function tracingEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  if ((env.OTEL_SDK_DISABLED ?? '').toLowerCase() === 'true') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/** Starts tracing for `service` when an OTLP endpoint is configured; exits naming the problem for a protocol it cannot speak. */
export function startTracing(service: string, env: NodeJS.ProcessEnv = process.env): void {
  if (started) return;
  // Before the app's env is loaded: the OTEL_* lines of the .env file count too (real variables win),
  // and go into the environment, where the exporter and the sampler read them.
  if (env === process.env) {
    for (const [key, value] of Object.entries(otelLinesOfEnvFile(env))) if (env[key] === undefined) env[key] = value;
  }
  if (!tracingEnabled(env)) return;
  const protocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf';
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    process.stderr.write(`${service}: OTEL_EXPORTER_OTLP_PROTOCOL=${protocol} is not supported; use http/protobuf or http/json\n`);
    process.exit(1);
  }
  started = true;

  const { NodeTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-node') as typeof import('@opentelemetry/sdk-trace-node');
  const { resourceFromAttributes, detectResources, envDetector } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const { registerInstrumentations } = require('@opentelemetry/instrumentation') as typeof import('@opentelemetry/instrumentation');
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
  const { UndiciInstrumentation } = require('@opentelemetry/instrumentation-undici') as typeof import('@opentelemetry/instrumentation-undici');
  const { PgInstrumentation } = require('@opentelemetry/instrumentation-pg') as typeof import('@opentelemetry/instrumentation-pg');
  const { IORedisInstrumentation } = require('@opentelemetry/instrumentation-ioredis') as typeof import('@opentelemetry/instrumentation-ioredis');
  const { PinoInstrumentation } = require('@opentelemetry/instrumentation-pino') as typeof import('@opentelemetry/instrumentation-pino');
  const { OTLPTraceExporter } =
    protocol === 'http/json'
      ? (require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http'))
      : (require('@opentelemetry/exporter-trace-otlp-proto') as typeof import('@opentelemetry/exporter-trace-otlp-proto'));

  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (the env detector) win over the app's own name.
  const resource = resourceFromAttributes({ 'service.name': service, 'service.namespace': 'statex' }).merge(detectResources({ detectors: [envDetector] }));
  // The exporter reads the endpoint, headers and timeout from OTEL_EXPORTER_OTLP_*; the provider the sampler from OTEL_TRACES_SAMPLER.
  const provider = new NodeTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())] });
  provider.register();
  const quiet = (url: string | undefined) => /^\/(health\/|metrics|docs)/.test(url ?? '');
  registerInstrumentations({
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (request) => quiet(request.url) }),
      new UndiciInstrumentation(),
      new PgInstrumentation({ requireParentSpan: true }),
      new IORedisInstrumentation({ requireParentSpan: true }),
      new PinoInstrumentation(),
    ],
  });
  const shutdown = () => void provider.shutdown().catch(() => undefined);
  process.once('beforeExit', shutdown);
  // Spans still buffered when the app stops are sent: the runtime's shutdown hooks run first.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => setTimeout(shutdown, 0).unref());
}
