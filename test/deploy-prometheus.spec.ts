import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { parse } from 'yaml';
import { AuthStandIn, BrokerProbe, removeTestNamespace, ServiceProcess, SmtpStandIn, uniqueNamespace, waitFor } from '@statex/testing';
import { APPS, AppName, platformProcesses } from './platform';

const root = join(__dirname, '..');
const promDir = join(root, 'deploy', 'prometheus');
const grafanaDir = join(root, 'deploy', 'grafana');

/** A binary from Debian's prometheus package; missing is a failure (.ci/run installs it), not a skip. */
function binary(name: string): string {
  const found = (process.env.PATH ?? '').split(delimiter).map((d) => join(d, name)).find((f) => f.startsWith('/') && existsSync(f));
  if (!found) throw new Error(`${name} is not installed: \`apt-get install -y prometheus\` (.ci/run installs it when missing)`);
  return found;
}

function promtool(...args: string[]): string {
  try {
    return execFileSync(binary('promtool'), args, { cwd: promDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? e.message}`);
  }
}

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
}
const ruleFiles = readdirSync(join(promDir, 'rules')).filter((f) => f.endsWith('.yml'));
const rules: Rule[] = ruleFiles.flatMap((f) => (parse(readFileSync(join(promDir, 'rules', f), 'utf8')) as { groups: Array<{ rules: Rule[] }> }).groups.flatMap((g) => g.rules));

interface Panel {
  id: number;
  title: string;
  datasource: { uid: string };
  targets: Array<{ expr: string; datasource: { uid: string } }>;
}
const dashboards = readdirSync(join(grafanaDir, 'dashboards'))
  .filter((f) => f.endsWith('.json'))
  .map((file) => ({ file, board: JSON.parse(readFileSync(join(grafanaDir, 'dashboards', file), 'utf8')) as { uid: string; title: string; panels: Panel[] } }));

describe('deploy/prometheus: configuration and rules, checked by promtool', () => {
  it('prometheus.yml is valid and finds its rule files', () => {
    expect(promtool('check', 'config', 'prometheus.yml')).toMatch(/SUCCESS: prometheus.yml is valid/);
  });

  it('the rules are valid', () => {
    expect(promtool('check', 'rules', ...ruleFiles.map((f) => `rules/${f}`))).toMatch(/SUCCESS/);
  });

  it('the alerts pass their unit tests (tests/*.test.yml)', () => {
    const tests = readdirSync(join(promDir, 'tests')).filter((f) => f.endsWith('.test.yml'));
    expect(tests.length).toBeGreaterThan(0);
    expect(promtool('test', 'rules', ...tests.map((f) => `tests/${f}`))).toMatch(/SUCCESS/);
  });

  it('every alert the issue asks for exists and is unit-tested', () => {
    const alerts = rules.filter((r) => r.alert).map((r) => r.alert!);
    const tested = readdirSync(join(promDir, 'tests')).map((f) => readFileSync(join(promDir, 'tests', f), 'utf8')).join('\n');
    for (const alert of alerts) expect({ alert, tested: tested.includes(`alertname: ${alert}\n`) }).toEqual({ alert, tested: true });
    expect(alerts).toEqual(
      expect.arrayContaining(['StatexServiceDown', 'StatexHighErrorRate', 'StatexIntakeLatencySLO', 'StatexAcknowledgementSlow', 'StatexOutboxLag', 'StatexMessagesParked', 'StatexQueueDepthGrowing', 'StatexNotificationFailures', 'StatexLinkedInTasksOverdue', 'StatexAiFallbacks', 'StatexAiCircuitOpen']),
    );
  });

  it('scrapes every service of the platform', () => {
    const config = parse(readFileSync(join(promDir, 'prometheus.yml'), 'utf8')) as { scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[]; labels?: Record<string, string> }> }> };
    const statex = config.scrape_configs.find((j) => j.job_name === 'statex')!;
    const targets = statex.static_configs.map((s) => [s.labels?.service, s.targets[0]]);
    const { PLATFORM_APPS } = require('../scripts/platform-apps') as typeof import('../scripts/platform-apps');
    expect(targets).toEqual(PLATFORM_APPS.map((a) => [a.app, `${a.app}:${a.port}`]));
    expect(config.scrape_configs.map((j) => j.job_name)).toEqual(expect.arrayContaining(['rabbitmq', 'redis', 'postgres']));
  });
});

describe('deploy/grafana: provisioned data source and dashboards', () => {
  it('provisions the Prometheus data source and the dashboards folder', () => {
    const datasources = parse(readFileSync(join(grafanaDir, 'provisioning', 'datasources', 'prometheus.yml'), 'utf8'));
    expect(datasources.datasources[0]).toMatchObject({ uid: 'prometheus', type: 'prometheus', isDefault: true });
    const providers = parse(readFileSync(join(grafanaDir, 'provisioning', 'dashboards', 'statex.yml'), 'utf8'));
    expect(providers.providers[0].options.path).toBe('/var/lib/grafana/dashboards');
  });

  it('has the five dashboards, every panel on the provisioned data source', () => {
    expect(dashboards.map((d) => d.file).sort()).toEqual(['ai-pipeline.json', 'lead-journey.json', 'messaging.json', 'notifications.json', 'platform-overview.json']);
    for (const { file, board } of dashboards) {
      expect(new Set(board.panels.map((p) => p.id)).size).toBe(board.panels.length);
      for (const panel of board.panels) {
        expect({ file, panel: panel.title, uid: panel.datasource.uid, targets: panel.targets.length > 0 }).toEqual({ file, panel: panel.title, uid: 'prometheus', targets: true });
      }
    }
  });
});

describe('a real Prometheus with the rules, scraping the running platform: every query parses, the core ones return data', () => {
  const dir = mkdtempSync(join(tmpdir(), 'statex-prometheus-'));
  const namespace = uniqueNamespace('prom');
  const auth = new AuthStandIn();
  const smtp = new SmtpStandIn();
  let apps: Record<AppName, ServiceProcess> | undefined;
  let prometheus: ChildProcess | undefined;
  let url: string;

  const freePort = async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    return port;
  };

  beforeAll(async () => {
    await auth.start();
    await smtp.start();
    // The seven built apps, as npm start runs them.
    apps = platformProcesses(namespace, APPS.map((a) => a.app), { ...auth.env, SMTP_PORT: smtp.port, STORAGE_LOCAL_DIR: join(dir, 'attachments') });
    for (const app of Object.values(apps)) app.start();
    for (const app of Object.values(apps)) await app.ready(90_000);
    const port = await freePort();
    // The platform's own rule files, evaluated every second; every service scraped as in prometheus.yml.
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        'rule_files:',
        ...ruleFiles.map((f) => `  - ${join(promDir, 'rules', f)}`),
        'scrape_configs:',
        '  - job_name: statex',
        '    honor_labels: true',
        '    static_configs:',
        ...APPS.map((a) => `      - { targets: ["127.0.0.1:${a.port}"], labels: { service: ${a.app} } }`),
        '',
      ].join('\n'),
    );
    prometheus = spawn(binary('prometheus'), [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
    url = `http://127.0.0.1:${port}`;
    await waitFor(async () => ((await fetch(`${url}/-/ready`).catch(() => undefined))?.status === 200 ? true : undefined), { timeoutMs: 20_000, what: 'Prometheus ready' });
  }, 150_000);

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      await new Promise((resolve) => {
        prometheus!.once('exit', resolve);
        prometheus!.kill('SIGTERM');
      });
    }
    await Promise.all(Object.values(apps ?? {}).map((app) => app.stop()));
    await auth.stop();
    await smtp.stop();
    const probe = await new BrokerProbe(namespace).start();
    await probe.cleanup(APPS.map((a) => a.app));
    await probe.stop();
    await removeTestNamespace(namespace);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  /** Prometheus answers 400 bad_data for an expression that does not parse. */
  const query = async (expr: string) => {
    const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.json()) as { status: string; error?: string; data?: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
    return { status: res.status, result: body.status, error: body.error, data: body.data?.result ?? [] };
  };

  it('a broken expression is refused (the check can fail)', async () => {
    expect(await query('sum(rate(http_request_duration_seconds_count[5m])')).toMatchObject({ status: 400, result: 'error' });
  });

  it('every panel query parses', async () => {
    for (const { file, board } of dashboards) {
      for (const panel of board.panels) {
        for (const { expr } of panel.targets) {
          const { status, result, error } = await query(expr);
          expect({ file, panel: panel.title, expr, status, result, error }).toEqual({ file, panel: panel.title, expr, status: 200, result: 'success', error: undefined });
        }
      }
    }
  });

  it('every recording and alert expression parses', async () => {
    for (const rule of rules) {
      const name = rule.alert ?? rule.record;
      const { status, result, error } = await query(rule.expr);
      expect({ name, status, result, error }).toEqual({ name, status: 200, result: 'success', error: undefined });
    }
  });

  it('leads sent through the whole journey show up in the RED, intake, journey, messaging, notification and AI series', async () => {
    const submit = async (i: number) => {
      const res = await fetch(`${apps!.submission.url}/api/submissions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Prometheus Test', email: `prom${i}@example.com`, message: 'We need an e-shop with card payments. Counted by Prometheus.' }),
      });
      expect(res.status).toBe(202);
      return ((await res.json()) as { id: string }).id;
    };
    const has = (expr: string, check: (value: number) => boolean = (v) => v > 0) =>
      waitFor(async () => ((await query(expr)).data.some((s) => check(Number(s.value[1]))) ? true : undefined), { timeoutMs: 45_000, what: `data for ${expr}` }).catch(async (error: Error) => {
        const metric = /([a-z_:]+)\{/.exec(expr)?.[1];
        throw new Error(`${error.message}; the series now: ${JSON.stringify((await query(metric ?? expr)).data.slice(0, 20))}`);
      });
    // A counter's first sample is where its rate starts: scrape the series once, then grow it.
    const first = await submit(0);
    await smtp.waitForMail(first, 30_000);
    await has('http_request_duration_seconds_count{service="submission", route="/api/submissions", method="POST"}');
    const ids = await Promise.all([1, 2, 3].map(submit));
    await waitFor(() => ids.every((id) => smtp.find(id).some((m) => m.subject?.startsWith('Our first look'))), { timeoutMs: 45_000, what: 'the results messages' });
    for (const app of APPS) await has(`up{job="statex", service="${app.app}"}`, (v) => v === 1);
    await has('service:http_requests:rate5m{service="submission"}');
    await has('service:http_error_ratio:rate5m{service="submission"}', (v) => v === 0);
    await has('intake:requests:rate5m');
    await has('intake:slo_ratio:rate5m', (v) => v === 1);
    await has('sum(increase(statex_messages_published_total{routing_key="request.created"}[1h]))');
    // Four leads, counted where each effect happened.
    await has('statex_messages_consumed_total{service="notification", routing_key="request.created"}', (v) => v >= 4);
    for (const stage of ['acknowledged', 'analyzed', 'answered']) await has(`statex_journey_stage_duration_seconds_count{service="submission", stage="${stage}"}`, (v) => v >= 4);
    await has('histogram_quantile(0.95, sum by (stage, le) (rate(statex_journey_stage_duration_seconds_bucket[15m])))', (v) => Number.isFinite(v) && v > 0);
    await has('statex_notification_deliveries_total{channel="email", outcome="sent"}', (v) => v >= 8);
    await has('sum(statex_ai_step_duration_seconds_count{provider="local"})', (v) => v >= 16);
    await has('sum(statex_consumer_attached)', (v) => v === APPS.length);
    // And the alerts that read them are quiet.
    expect((await query('ALERTS{alertstate="firing"}')).data.map((s) => s.metric.alertname)).toEqual([]);
  }, 150_000);
});
