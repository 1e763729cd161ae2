import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { BaseEnv, loadEnv } from '@statex/config';
import { AuthStandIn, bearer, BrokerProbe, removeTestNamespace, ServiceUnderTest, startServiceForTest, testEnv, uniqueNamespace } from '@statex/testing';
import { contentService } from '../apps/content/src/content.app';
import { ContentEnv } from '../apps/content/src/content.env';

/** The public edge of every service, shown on one: binding, docs and metrics access, slow clients. */
describe('the public edge of a service (real RabbitMQ; a JWKS stand-in)', () => {
  const namespace = uniqueNamespace('edge');
  const auth = new AuthStandIn();
  let service: ServiceUnderTest;
  let port: number;

  beforeAll(async () => {
    await auth.start();
    const env = testEnv(ContentEnv, namespace, { ...auth.env, DOCS_ACCESS: 'staff', METRICS_ACCESS: 'off', HTTP_HEADERS_TIMEOUT_MS: 1000, HTTP_REQUEST_TIMEOUT_MS: 2000, HTTP_IDLE_TIMEOUT_MS: 1500 });
    service = await startServiceForTest(contentService, env);
    await service.app.listen(0, '127.0.0.1');
    port = (service.app.getHttpServer().address() as AddressInfo).port;
  });

  afterAll(async () => {
    await service?.app.close();
    await auth.stop();
    await removeTestNamespace(namespace);
    const probe = await new BrokerProbe(namespace).start();
    await probe.cleanup(['content']);
    await probe.stop();
  });

  it('listens on loopback unless told otherwise, and believes no X-Forwarded-For by default', () => {
    const env = loadEnv(BaseEnv, {});
    expect(env.HTTP_HOST).toBe('127.0.0.1');
    expect(env.TRUST_PROXY).toBe('');
  });

  it('puts /docs behind a staff token when DOCS_ACCESS=staff', async () => {
    await service.http.get('/docs-json').expect(401);
    // Spelled another way, it is still the same path to the router and to the check.
    for (const path of ['/%64ocs-json', '/docs%2Djson', '/%64ocs', '/%64ocs/']) await service.http.get(path).expect(401);
    await service.http.get('/docs-json').set(bearer(await auth.mint({ roles: ['client'] }))).expect(403);
    const spec = await service.http.get('/docs-json').set(bearer(await auth.mint({ roles: ['operator'] }))).expect(200);
    expect(spec.body.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('switches /metrics off when METRICS_ACCESS=off, and health stays public', async () => {
    await service.http.get('/metrics').set(bearer(await auth.mint({ roles: ['admin'] }))).expect(404);
    for (const path of ['/%6detrics', '/metric%73']) {
      const res = await service.http.get(path);
      expect({ path, status: res.status, body: res.text.includes('process_resident_memory_bytes') }).toEqual({ path, status: 404, body: false });
    }
    await service.http.get('/health/live').expect(200);
  });

  it('cuts off a client that never finishes its headers, and one that stops sending its body', async () => {
    const closedAfter = (payload: string) =>
      new Promise<number>((resolve, reject) => {
        const started = Date.now();
        const socket = connect(port, '127.0.0.1', () => socket.write(payload));
        socket.on('data', () => undefined);
        socket.on('close', () => resolve(Date.now() - started));
        socket.on('error', () => undefined);
        setTimeout(() => reject(new Error('the server kept the connection open')), 10_000).unref();
      });
    const slowHeaders = await closedAfter('GET /health/live HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    expect(slowHeaders).toBeLessThan(5_000);
    const stalledBody = await closedAfter('POST /api/nothing HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"a":');
    expect(stalledBody).toBeLessThan(5_000);
  });
});
