import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { parse } from 'yaml';
import { AuthStandIn, BrokerProbe, dropDatabases, ServiceUnderTest, startServiceForTest, testEnv, uniqueNamespace, waitFor } from '@statex/testing';
import { submissionService } from '../apps/submission/src/submission.app';
import { SubmissionEnv } from '../apps/submission/src/submission.env';

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

describe('a real Prometheus with the rules, scraping a running service: every query parses, the core ones return data', () => {
  const dir = mkdtempSync(join(tmpdir(), 'statex-prometheus-'));
  const namespace = uniqueNamespace('prom');
  const auth = new AuthStandIn();
  const probe = new BrokerProbe(namespace);
  let submission: ServiceUnderTest | undefined;
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
    await probe.start();
    submission = await startServiceForTest(submissionService, testEnv(SubmissionEnv, namespace, { ...auth.env, STORAGE_LOCAL_DIR: join(dir, 'attachments') }));
    await submission.app.listen(0, '127.0.0.1');
    const servicePort = (submission.app.getHttpServer().address() as AddressInfo).port;
    const port = await freePort();
    // The platform's own rule files, evaluated every second; the service scraped as in prometheus.yml.
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        'rule_files:',
        ...ruleFiles.map((f) => `  - ${join(promDir, 'rules', f)}`),
        'scrape_configs:',
        '  - job_name: statex',
        '    honor_labels: true',
        `    static_configs: [{ targets: ["127.0.0.1:${servicePort}"], labels: { service: submission } }]`,
        '',
      ].join('\n'),
    );
    prometheus = spawn(binary('prometheus'), [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
    url = `http://127.0.0.1:${port}`;
    await waitFor(async () => ((await fetch(`${url}/-/ready`).catch(() => undefined))?.status === 200 ? true : undefined), { timeoutMs: 20_000, what: 'Prometheus ready' });
  }, 60_000);

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      await new Promise((resolve) => {
        prometheus!.once('exit', resolve);
        prometheus!.kill('SIGTERM');
      });
    }
    await submission?.app.close();
    await auth.stop();
    await probe.cleanup(['submission']);
    await probe.stop();
    await dropDatabases(`${namespace}_`);
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

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

  it('contact forms sent to the service show up in the RED, intake and messaging series', async () => {
    const submit = (i: number) => submission!.http.post('/api/submissions').send({ name: 'Prometheus Test', email: `prom${i}@example.com`, message: 'Counted by Prometheus.' }).expect(202);
    const has = (expr: string, check: (value: number) => boolean = (v) => v > 0) =>
      waitFor(async () => ((await query(expr)).data.some((s) => check(Number(s.value[1]))) ? true : undefined), { timeoutMs: 30_000, what: `data for ${expr}` });
    // A counter's first sample is where its rate starts: scrape the series once, then grow it.
    await submit(0);
    await has('http_request_duration_seconds_count{service="submission", route="/api/submissions", method="POST"}');
    for (let i = 1; i <= 3; i++) await submit(i);
    await has('up{job="statex", service="submission"}', (v) => v === 1);
    await has('service:http_requests:rate5m{service="submission"}');
    await has('service:http_error_ratio:rate5m{service="submission"}', (v) => v === 0);
    await has('intake:requests:rate5m');
    await has('intake:slo_ratio:rate5m', (v) => v === 1);
    await has('sum(increase(statex_messages_published_total{routing_key="request.created"}[1h]))');
    // And the alerts that read them are quiet.
    expect((await query('ALERTS{alertname=~"StatexServiceDown|StatexHighErrorRate|StatexIntakeLatencySLO"}')).data).toEqual([]);
  }, 60_000);
});
