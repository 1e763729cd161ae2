import { Controller } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { PrometheusController, PrometheusModule } from '@willsoto/nestjs-prometheus';
import { Public } from '@statex/auth';
import type { FastifyInstance } from 'fastify';
import { Histogram, register } from 'prom-client';

/** Public to the route guard; METRICS_ACCESS decides at the edge of the server (see protectPaths). */
@Public()
@ApiExcludeController()
@Controller()
class MetricsController extends PrometheusController {}

/** `GET /metrics`: process metrics, the HTTP histogram and the messaging counters. */
export function metricsModule(service: string): DynamicModule {
  return PrometheusModule.register({
    path: '/metrics',
    controller: MetricsController,
    // Process metrics are per process: register them once even if a test builds two apps.
    defaultMetrics: { enabled: !register.getSingleMetric('process_cpu_user_seconds_total') },
    defaultLabels: { service },
  });
}

function httpHistogram(): Histogram<string> {
  const name = 'http_request_duration_seconds';
  return (
    (register.getSingleMetric(name) as Histogram<string> | undefined) ??
    new Histogram({
      name,
      help: 'HTTP request duration by route, method and status code',
      labelNames: ['route', 'method', 'status_code'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    })
  );
}

/** Times every request on the Fastify instance, labelled by the matched route (not the raw URL). */
export function instrumentHttp(fastify: FastifyInstance): void {
  const histogram = httpHistogram();
  fastify.addHook('onRequest', async (request) => {
    (request as unknown as { startedAt: bigint }).startedAt = process.hrtime.bigint();
  });
  fastify.addHook('onResponse', async (request, reply) => {
    const startedAt = (request as unknown as { startedAt?: bigint }).startedAt;
    if (startedAt === undefined) return;
    const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
    histogram.observe(
      { route: request.routeOptions?.url ?? 'unmatched', method: request.method, status_code: String(reply.statusCode) },
      seconds,
    );
  });
}
