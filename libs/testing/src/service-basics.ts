import type { BaseEnv } from '@statex/config';
import type { ServiceDefinition } from '@statex/runtime';
import { AuthStandIn, bearer } from './auth-stand-in';
import { BrokerProbe } from './broker-probe';
import { removeTestNamespace } from './databases';
import { ServiceUnderTest, startServiceForTest } from './in-process-service';
import { testEnv, uniqueNamespace } from './test-env';
import { waitFor } from './wait-for';

/**
 * What every StateX app serves, checked on one app started in-process against the real broker:
 * liveness, readiness naming its checks, Prometheus metrics with the HTTP histogram and the
 * messaging counters, the OpenAPI document and Swagger UI, and a JSON 404 under /api; all of
 * them public under the deny-by-default guard (tokens checked against a stand-in JWKS).
 */
export function describeServiceBasics<E extends BaseEnv>(definition: ServiceDefinition<E>, schema: new () => E, checks: string[]): void {
  describe(`${definition.name}: the endpoints every app serves (real RabbitMQ)`, () => {
    const namespace = uniqueNamespace(definition.name.replace(/[^a-z]/g, '').slice(0, 4));
    const auth = new AuthStandIn();
    let service: ServiceUnderTest;

    beforeAll(async () => {
      await auth.start();
      service = await startServiceForTest(definition, testEnv(schema, namespace, auth.env));
    });

    afterAll(async () => {
      await service?.app.close();
      await auth.stop();
      await removeTestNamespace(namespace);
      const probe = await new BrokerProbe(namespace).start();
      await probe.cleanup([definition.name]);
      await probe.stop();
    });

    it('is live, and ready with each of its checks up', async () => {
      await service.http.get('/health/live').expect(200);
      // Ready once its consumer is attached, a moment after start.
      const ready = await waitFor(async () => {
        const res = await service.http.get('/health/ready');
        return res.status === 200 && res;
      }, { what: `${definition.name} to be ready`, timeoutMs: 15_000 });
      expect(Object.keys(ready.body.details).sort()).toEqual([...checks].sort());
      for (const check of checks) expect(ready.body.details[check].status).toBe('up');
    });

    it('serves Prometheus metrics: process, HTTP durations by route and status, messaging counters', async () => {
      await service.http.get('/health/live').expect(200);
      const metrics = await service.http.get('/metrics').expect(200);
      expect(metrics.headers['content-type']).toContain('text/plain');
      expect(metrics.text).toContain('process_resident_memory_bytes');
      expect(metrics.text).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/health\/live"[^}]*status_code="200"[^}]*\} [1-9]/);
      for (const counter of ['published', 'consumed', 'retried', 'dead_lettered']) expect(metrics.text).toContain(`statex_messages_${counter}_total`);
    });

    it('serves its OpenAPI 3 document and Swagger UI', async () => {
      const spec = await service.http.get('/docs-json').expect(200);
      expect(spec.body.openapi).toMatch(/^3\./);
      expect(spec.body.info.title).toContain(definition.name);
      expect(Object.keys(spec.body.paths)).toEqual(expect.arrayContaining(['/health/live', '/health/ready']));
      await service.http.get('/docs').expect((res) => expect([200, 301, 302]).toContain(res.status));
    });

    it('serves health, metrics and docs without a token, and a bad token does not turn them away', async () => {
      const forged = bearer(auth.unsigned());
      for (const path of ['/health/live', '/metrics', '/docs-json']) {
        await service.http.get(path).expect(200);
        await service.http.get(path).set(forged).expect(200);
      }
      const ready = await service.http.get('/health/ready').set(bearer(await auth.mint({ expiresIn: -120 })));
      expect(ready.status).not.toBe(401);
    });

    it('answers an unknown route with a JSON 404', async () => {
      const res = await service.http.get('/api/nothing-here').expect(404);
      expect(res.body).toMatchObject({ statusCode: 404 });
    });
  });
}
