import { execFileSync, ChildProcess } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http, { IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import { AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BaseEnv } from '@statex/config';
import { ServiceDefinition } from '@statex/runtime';
import { BrokerProbe, removeTestNamespace, ServiceUnderTest, SmtpStandIn, startServiceForTest, testEnv, uniqueNamespace, waitFor } from '@statex/testing';
import { aiOrchestratorService } from '../apps/ai-orchestrator/src/ai-orchestrator.app';
import { AiOrchestratorEnv } from '../apps/ai-orchestrator/src/ai-orchestrator.env';
import { aiWorkerService } from '../apps/ai-worker/src/ai-worker.app';
import { AiWorkerEnv } from '../apps/ai-worker/src/ai-worker.env';
import { contentService } from '../apps/content/src/content.app';
import { ContentEnv } from '../apps/content/src/content.env';
import { loggingService } from '../apps/logging/src/logging.app';
import { LoggingEnv } from '../apps/logging/src/logging.env';
import { notificationService } from '../apps/notification/src/notification.app';
import { NotificationEnv } from '../apps/notification/src/notification.env';
import { submissionService } from '../apps/submission/src/submission.app';
import { SubmissionEnv } from '../apps/submission/src/submission.env';
import { userPortalService } from '../apps/user-portal/src/user-portal.app';
import { UserPortalEnv } from '../apps/user-portal/src/user-portal.env';
import { parse } from 'yaml';
import { checkGateway, findNginx, GatewayConfig, renderGateway, renderTemplate, startGateway, Upstreams } from '../scripts/gateway';
import { PLATFORM_APPS } from '../scripts/platform-apps';

const root = join(__dirname, '..');
const ADMIN = { email: 'admin@gateway.test', password: 'Gateway-admin-password-42' };

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  body: Record<string, unknown>;
}

/** A raw HTTP(S) request: the path goes out exactly as written (no `..` normalisation). */
function send(url: string, options: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer; endAfterHeaders?: boolean } = {}): Promise<Answer> {
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      {
        host: target.hostname,
        port: target.port,
        method: options.method ?? 'GET',
        path: options.path ?? `${target.pathname}${target.search}`,
        headers: options.headers,
        rejectUnauthorized: false,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: Record<string, unknown> = {};
          try {
            body = JSON.parse(text) as Record<string, unknown>;
          } catch {
            // HTML or empty
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.setTimeout(20_000, () => req.destroy(new Error(`no answer from ${url}${options.path ?? ''}`)));
    if (options.endAfterHeaders) {
      // Headers only: an edge that checks Content-Length answers before any body is sent.
      req.flushHeaders();
      return;
    }
    req.end(options.body);
  });
}

/**
 * `n` distinct free ports: every listener stays open until all have their port, since a port
 * closed at once may be the next one handed out (two gateway servers given the same port made
 * nginx see the HTTP server as an HTTPS one without a certificate, a flaky failure in CI).
 */
async function freePorts(n: number): Promise<number[]> {
  const servers = Array.from({ length: n }, () => createServer());
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))));
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** Starts nginx and waits until it answers its own health location. */
async function runGateway(nginx: string, config: GatewayConfig, healthUrl: string): Promise<ChildProcess> {
  const conf = renderGateway(config);
  checkGateway(nginx, conf, config.dir);
  const child = startGateway(nginx, conf, config.dir);
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`nginx exited: ${stderr}`);
      return (await send(healthUrl).catch(() => undefined))?.status === 200 ? true : undefined;
    },
    { timeoutMs: 10_000, what: `nginx answering ${healthUrl}` },
  );
  return child;
}

const stopProcess = (child?: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (!child || child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

describe('gateway: a real nginx in front of the seven services (started in-process)', () => {
  const namespace = uniqueNamespace('gw');
  const smtp = new SmtpStandIn();
  const probe = new BrokerProbe(namespace);
  const dir = mkdtempSync(join(tmpdir(), 'statex-gateway-'));
  const services: ServiceUnderTest[] = [];
  const upstreams = {} as Upstreams;
  let nginx: string;
  let dev: ChildProcess | undefined;
  let prod: ChildProcess | undefined;
  let devUrl: string;
  let prodHttpUrl: string;
  let prodHttpsUrl: string;
  let token: string;

  const start = async <E extends BaseEnv>(app: keyof Upstreams, definition: ServiceDefinition<E>, env: E) => {
    const service = await startServiceForTest(definition, env);
    await service.app.listen(0, '127.0.0.1');
    upstreams[app] = `127.0.0.1:${(service.app.getHttpServer().address() as AddressInfo).port}`;
    services.push(service);
  };

  const api = (path: string, options: Parameters<typeof send>[1] = {}) =>
    send(`${devUrl}${path}`, { ...options, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...options.headers } });

  beforeAll(async () => {
    const found = findNginx();
    if (!found) throw new Error('nginx is not installed: `apt-get install -y nginx` (.ci/run installs it when missing)');
    nginx = found;
    await smtp.start();
    await probe.start();

    // The services trust the gateway (127.0.0.1 here) to say who the client is.
    const common = { TRUST_PROXY: '127.0.0.1' };
    const portalEnv = testEnv(UserPortalEnv, namespace, { ...common, ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, SMTP_PORT: smtp.port, AUTH_RATE_LIMIT_IP_PER_WINDOW: 1000 });
    await start('user-portal', userPortalService, portalEnv);
    const auth = { ...common, USER_PORTAL_URL: `http://${upstreams['user-portal']}`, AUTH_ISSUER: portalEnv.AUTH_ISSUER };
    const storage = { STORAGE_DRIVER: 'local', STORAGE_LOCAL_DIR: join(dir, 'attachments') };
    await start('submission', submissionService, testEnv(SubmissionEnv, namespace, { ...auth, ...storage }));
    await start('ai-orchestrator', aiOrchestratorService, testEnv(AiOrchestratorEnv, namespace, auth));
    await start('ai-worker', aiWorkerService, testEnv(AiWorkerEnv, namespace, { ...auth, ...storage }));
    await start('notification', notificationService, testEnv(NotificationEnv, namespace, { ...auth, SMTP_PORT: smtp.port }));
    await start('logging', loggingService, testEnv(LoggingEnv, namespace, auth));
    await start('content', contentService, testEnv(ContentEnv, namespace, { ...auth, ...storage }));

    const [devPort, httpPort, httpsPort] = await freePorts(3);
    devUrl = `http://127.0.0.1:${devPort}`;
    prodHttpUrl = `http://127.0.0.1:${httpPort}`;
    prodHttpsUrl = `https://127.0.0.1:${httpsPort}`;
    dev = await runGateway(nginx, { root, dir: join(dir, 'dev'), mode: 'dev', upstreams, listen: `127.0.0.1:${devPort}` }, `${devUrl}/gateway/health`);

    // Production: TLS with a certificate made for the test, as one mounted in the container.
    const tlsCert = join(dir, 'cert.pem');
    const tlsKey = join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', tlsKey, '-out', tlsCert, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    prod = await runGateway(
      nginx,
      { root, dir: join(dir, 'prod'), mode: 'prod', upstreams, httpListen: `127.0.0.1:${httpPort}`, httpsListen: `127.0.0.1:${httpsPort}`, tlsCert, tlsKey },
      `${prodHttpsUrl}/.well-known/jwks.json`,
    );

    const login = await api('/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
    expect(login.status).toBe(200);
    token = login.body.accessToken as string;
  }, 120_000);

  afterAll(async () => {
    await stopProcess(dev);
    await stopProcess(prod);
    for (const service of services.reverse()) await service.app.close().catch(() => undefined);
    await smtp.stop();
    await probe.cleanup(PLATFORM_APPS.map((a) => a.app));
    await probe.stop();
    await removeTestNamespace(namespace);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  /** Answered by a service (not the gateway), on a route that service knows. */
  const answeredByService = (answer: Answer, what: string) => {
    expect({ what, status: answer.status, gateway: answer.body.gateway, unknownRoute: /^Cannot (GET|POST)/.test(String(answer.body.message ?? '')) }).toEqual({
      what,
      status: expect.any(Number),
      gateway: undefined,
      unknownRoute: false,
    });
    expect({ what, status: answer.status < 500 }).toEqual({ what, status: true });
    expect(answer.headers['x-correlation-id']).toBeDefined();
  };

  it('routes every public path to the service that owns it', async () => {
    const json = { 'content-type': 'application/json' };
    const submitted = await api('/api/submissions', { method: 'POST', headers: json, body: JSON.stringify({ name: 'Gateway Test', email: 'gw@example.com', message: 'Routed through nginx.' }) });
    expect(submitted.status).toBe(202);
    const id = submitted.body.id as string;

    const checks: Array<[string, Answer, number | number[]]> = [
      ['submission: status page', await api(`/api/submissions/${id}`), 200],
      ['submission: staff list', await api('/api/submissions?page=1'), 200],
      ['ai-orchestrator', await api(`/api/workflows?submissionId=${id}`), 200],
      ['ai-worker', await api('/api/analyze', { method: 'POST', headers: json, body: JSON.stringify({ text: 'We need an online shop with card payments.' }) }), [200, 201]],
      ['notification: notifications', await api('/api/notifications'), 200],
      ['notification: templates', await api('/api/templates'), 200],
      ['user-portal: users', await api('/api/users/me'), 200],
      ['user-portal: JWKS', await api('/.well-known/jwks.json'), 200],
      ['user-portal: account page', await api('/reset-password?token=x'), 200],
      ['logging: logs', await api('/api/logs'), 200],
      ['logging: events', await api('/api/events'), 200],
      ['logging: lead timeline', await api(`/api/leads/${id}/timeline`), [200, 404]],
      ['content', await api('/api/content/pages'), [200, 400, 404]],
    ];
    for (const [what, answer, expected] of checks) {
      answeredByService(answer, what);
      const allowed = Array.isArray(expected) ? expected : [expected];
      expect({ what, status: answer.status, expected: allowed.includes(answer.status) }).toEqual({ what, status: answer.status, expected: true });
    }
    expect((checks.find(([what]) => what === 'user-portal: JWKS')![1].body.keys as unknown[]).length).toBeGreaterThan(0);
    expect((checks.find(([what]) => what === 'user-portal: users')![1].body.email as string).toLowerCase()).toBe(ADMIN.email);
    // A path no service owns is the gateway's own 404.
    const unknown = await api('/api/nothing-here');
    expect(unknown.status).toBe(404);
    expect(unknown.body.gateway).toBe(true);
  });

  it('passes the client correlation id on, or its own request id when the client sent none', async () => {
    const own = await api('/api/submissions?page=1', { headers: { 'x-correlation-id': 'gw-client-id-42' } });
    expect(own.headers['x-correlation-id']).toBe('gw-client-id-42');

    // nginx's $request_id is 32 hex digits; the service would make a dashed UUID of its own.
    const fresh = await api('/api/submissions?page=1');
    const id = fresh.headers['x-correlation-id'] as string;
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    // The gateway logged the request under the same id the service answered with.
    const line = await waitFor(
      () =>
        readFileSync(join(dir, 'dev', 'access.log'), 'utf8')
          .split('\n')
          .find((l) => l.includes(id)),
      { timeoutMs: 5000, what: `the access log line of ${id}` },
    );
    expect(JSON.parse(line)).toMatchObject({ correlationId: id, status: 200, uri: '/api/submissions?page=1' });
  });

  it('sends the security headers, and a script policy that lets the account pages run', async () => {
    const answer = await api('/api/submissions?page=1');
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
    expect(answer.headers['referrer-policy']).toBe('no-referrer');
    expect(answer.headers['content-security-policy']).toContain("default-src 'none'");
    expect(answer.headers['strict-transport-security']).toBeUndefined();

    for (const page of ['/verify-email?token=t', '/reset-password?token=t', '/forgot-password']) {
      const html = await api(page);
      expect(html.headers['content-type']).toMatch(/text\/html/);
      const csp = html.headers['content-security-policy'] as string;
      expect(csp).toContain("default-src 'none'");
      // Every inline script and style of the page is allowed by its hash, and nothing else inline.
      for (const [, script] of html.text.matchAll(/<script>([\s\S]*?)<\/script>/g)) expect({ page, csp }).toEqual({ page, csp: expect.stringContaining(sha256(script)) });
      for (const [, style] of html.text.matchAll(/<style>([\s\S]*?)<\/style>/g)) expect({ page, csp }).toEqual({ page, csp: expect.stringContaining(sha256(style)) });
      expect(csp).not.toContain('unsafe-inline');
    }
  });

  it('passes an upload within the limits on to the service (buffered by nginx on disk)', async () => {
    const boundary = 'statex-gateway-boundary';
    const text = 'We need an online shop with card payments. '.repeat(8000); // ~350 KB: past nginx's memory buffer
    const field = (name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
    const body = Buffer.from(
      field('name', 'Gateway Upload') +
        field('email', 'upload@example.com') +
        field('message', 'Brief attached.') +
        `--${boundary}\r\nContent-Disposition: form-data; name="attachments"; filename="brief.txt"\r\nContent-Type: text/plain\r\n\r\n${text}\r\n--${boundary}--\r\n`,
    );
    const answer = await send(`${devUrl}/api/submissions`, { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(body.length) }, body });
    expect({ status: answer.status, body: answer.body }).toEqual({ status: 202, body: expect.objectContaining({ status: 'received' }) });
  });

  it('refuses an upload larger than the service accepts at the edge (413), before any body is sent', async () => {
    const tooLarge = await send(`${devUrl}/api/submissions`, {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=x', 'content-length': String(52 * 1024 * 1024) },
      endAfterHeaders: true,
    });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body.gateway).toBe(true);
    // Other routes keep the services' 1 MiB JSON limit.
    const json = await send(`${devUrl}/api/notifications`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(2 * 1024 * 1024) }, endAfterHeaders: true });
    expect(json.status).toBe(413);
  });

  it('limits the contact form and the auth endpoints per client address (429)', async () => {
    const statuses: number[] = [];
    let limited: Answer | undefined;
    for (let i = 0; i < 20 && !limited; i++) {
      // An empty form: the service answers 400, so nothing is stored while the limit counts.
      const answer = await send(`${devUrl}/api/submissions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      statuses.push(answer.status);
      if (answer.status === 429) limited = answer;
    }
    expect(statuses[0]).toBe(400);
    expect(limited?.body.gateway).toBe(true);
    expect(limited?.headers['retry-after']).toBe('60');
    // Reading a status page is not the contact form.
    expect((await api('/api/submissions?page=1')).status).toBe(200);

    let authLimited: Answer | undefined;
    for (let i = 0; i < 30 && !authLimited; i++) {
      const answer = await send(`${devUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: `${randomUUID()}@example.com`, password: 'wrong-password-1' }) });
      if (answer.status === 429) authLimited = answer;
      else expect(answer.status).toBe(401);
    }
    expect(authLimited?.body.gateway).toBe(true);
  });

  it.each(['docker-compose.yml', 'docker-compose.prod.yml'])('the container configuration of %s passes nginx -t with its environment', (file) => {
    const gateway = parse(readFileSync(join(root, file), 'utf8'), { merge: true }).services.gateway as { environment: Record<string, string>; volumes: string[] };
    // The container's layout: /etc/nginx/nginx.conf, statex/, templates rendered into statex-generated/.
    const etc = join(dir, `container-${file}`);
    mkdirSync(join(etc, 'statex-generated'), { recursive: true });
    writeFileSync(join(etc, 'mime.types'), 'types { text/html html; }\n');
    // (The container logs to its stdout/stderr; a test runner's may be sockets nginx cannot open.)
    const main = readFileSync(join(root, 'deploy', 'nginx', 'nginx.conf'), 'utf8')
      .replace(/\/tmp\//g, `${etc}/`)
      .replace('/etc/nginx/mime.types', join(etc, 'mime.types'))
      .replace('/dev/stderr', join(etc, 'error.log'))
      .replace('/dev/stdout', join(etc, 'access.log'));
    writeFileSync(join(etc, 'nginx.conf'), main);
    cpSync(join(root, 'deploy', 'nginx', 'statex'), join(etc, 'statex'), { recursive: true });
    const templates = gateway.volumes.filter((v) => v.includes('/etc/nginx/templates/')).map((v) => v.split(':')[0]);
    expect(templates).toHaveLength(2);
    for (const template of templates) {
      // Every ${VAR} of the template is set by the compose file (envsubst would leave it verbatim).
      const values = Object.fromEntries(
        Object.entries(gateway.environment).map(([k, v]) => [
          k,
          // Names that only resolve inside compose, and the mounted certificate, as this machine has them.
          k.endsWith('_UPSTREAM') ? v.replace(/^[a-z-]+:/, '127.0.0.1:') : k === 'GATEWAY_TLS_CERT' ? join(dir, 'cert.pem') : k === 'GATEWAY_TLS_KEY' ? join(dir, 'key.pem') : k.endsWith('_LISTEN') ? `127.0.0.1:${v}` : String(v),
        ]),
      );
      const name = template.split('/').pop()!.replace(/\.template$/, '');
      writeFileSync(join(etc, 'statex-generated', name), renderTemplate(readFileSync(join(root, template), 'utf8'), values));
    }
    checkGateway(nginx, join(etc, 'nginx.conf'), etc);
  });

  describe('production configuration', () => {
    it('redirects plain HTTP to HTTPS', async () => {
      const answer = await send(`${prodHttpUrl}/api/submissions?page=1`);
      expect(answer.status).toBe(301);
      expect(answer.headers.location).toBe('https://127.0.0.1/api/submissions?page=1');
    });

    it('serves the API over TLS with HSTS', async () => {
      const answer = await send(`${prodHttpsUrl}/.well-known/jwks.json`);
      expect(answer.status).toBe(200);
      expect(answer.headers['strict-transport-security']).toMatch(/max-age=\d+/);
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
    });

    it.each(['/metrics', '/docs', '/docs/', '/docs-json', '/queues', '/queues/api/queues', '/api/submissions/../../metrics', '/api/workflows/%2e%2e/%2e%2e/docs'])('does not reach %s from the public side', async (path) => {
      const answer = await send(prodHttpsUrl, { path });
      expect({ path, status: answer.status, gateway: answer.body.gateway }).toEqual({ path, status: 404, gateway: true });
    });
  });
});
