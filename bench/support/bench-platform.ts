import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { Client } from 'pg';
import { deleteNamespace } from '@statex/messaging';
import { logShippingTopologyOf } from '@statex/observability';
import { deleteRedisNamespace } from '@statex/redis';
import { APP_PROCESS_DEFAULTS, applyPriority, PLATFORM_APPS } from '../../scripts/platform-apps';

/** One of the seven built apps as a benchmark runs it. */
export interface BenchApp {
  app: string;
  port: number;
  child: ChildProcess;
  /** From the start of all seven to this one ready. */
  readyMs: number;
}

/** Until `port` answers /health/ready, or the process exits, or 90 s pass. */
export async function waitReady(port: number, child: ChildProcess, what: string): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (!(await fetch(`http://127.0.0.1:${port}/health/ready`).then((r) => r.ok).catch(() => false))) {
    if (child.exitCode !== null) throw new Error(`${what} exited (${child.exitCode})`);
    if (Date.now() > deadline) throw new Error(`${what} was not ready within 90 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

/**
 * The seven built apps on a fresh namespace (databases, exchange, queues and BullMQ keys of their
 * own), ports shifted by `portOffset`, started at once as `npm start` does; `stop()` ends them and
 * removes the namespace (databases, broker, Redis).
 */
export class BenchPlatform {
  readonly prefix = `bench${randomBytes(3).toString('hex')}`;
  apps: BenchApp[] = [];
  coldStartMs = 0;
  private readonly children: ChildProcess[] = [];

  constructor(
    private readonly portOffset: number,
    private readonly extraEnv: Record<string, string> = {},
  ) {}

  url(app: string): string {
    const found = this.apps.find((a) => a.app === app);
    if (!found) throw new Error(`${app} is not running`);
    return `http://127.0.0.1:${found.port}`;
  }

  /** Another process to end with the platform (a reference, say). */
  adopt(child: ChildProcess): ChildProcess {
    this.children.push(child);
    return child;
  }

  /**
   * A benchmark stopped with Ctrl-C or SIGTERM still ends its apps and removes its namespace: every
   * namespace left behind keeps its quorum queues (and their files) on the shared broker, and enough
   * of them once wedged this machine's RabbitMQ.
   */
  private readonly onSignal = (signal: NodeJS.Signals) => {
    console.error(`${signal}: stopping the benchmark's apps and removing namespace ${this.prefix}`);
    void this.stop().finally(() => process.exit(130));
  };

  async start(): Promise<this> {
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
    // BENCH_WITHOUT=ai-orchestrator,ai-worker leaves apps out, to see what each one costs the rest.
    const without = (process.env.BENCH_WITHOUT ?? '').split(',').filter(Boolean);
    const ports = PLATFORM_APPS.map((a) => ({ ...a, port: a.port + this.portOffset }));
    const env: Record<string, string> = {
      ...APP_PROCESS_DEFAULTS,
      ...(process.env as Record<string, string>),
      ENV_FILE: '/nonexistent',
      POSTGRES_DB_PREFIX: `${this.prefix}_`,
      RABBITMQ_NAMESPACE: this.prefix,
      BULLMQ_PREFIX: this.prefix,
      STORAGE_LOCAL_DIR: `/tmp/${this.prefix}`,
      USER_PORTAL_URL: `http://127.0.0.1:${ports.find((a) => a.app === 'user-portal')!.port}`,
      ...Object.fromEntries(ports.map((a) => [a.portVar, String(a.port)])),
      ...this.extraEnv,
    };
    const started = Date.now();
    const running = ports.filter((a) => !without.includes(a.app)).map((a) => {
      // BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles every app while it runs.
      const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
      const child = this.adopt(spawn(process.execPath, [...nodeArgs, resolve(__dirname, '..', '..', 'apps', a.app, 'src', 'main.js')], { env, stdio: 'ignore' }));
      // At the CPU priority npm start gives it.
      applyPriority(a.app, child.pid);
      return { ...a, child };
    });
    this.apps = await Promise.all(
      running.map(async (r) => {
        await waitReady(r.port, r.child, r.app);
        return { app: r.app, port: r.port, child: r.child, readyMs: Date.now() - started };
      }),
    );
    this.coldStartMs = Date.now() - started;
    return this;
  }

  async stop(): Promise<void> {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
    await Promise.all(this.children.map(stopProcess));
    const pg = new Client({ host: process.env.POSTGRES_HOST ?? '127.0.0.1', port: Number(process.env.POSTGRES_PORT ?? 5432), user: process.env.POSTGRES_USER ?? 'postgres', password: process.env.POSTGRES_PASSWORD ?? '', database: 'postgres' });
    await pg.connect();
    const { rows } = await pg.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [`${this.prefix}_%`]);
    for (const { datname } of rows) await pg.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    await pg.end();
    await removeBrokerNamespace(this.prefix);
    // BullMQ keeps finished jobs for days: a journey run left 5,000–11,000 keys behind.
    await deleteRedisNamespace(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', this.prefix);
  }
}

/**
 * Deletes everything a benchmark's namespace put on the shared broker: every registry service's
 * queues (any app declares them all), log shipping's queue and exchanges. Every benchmark calls it
 * when it ends: a namespace left behind keeps its quorum queues, and their files, for good.
 */
export async function removeBrokerNamespace(prefix: string): Promise<void> {
  await deleteNamespace(process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672', prefix, [1000, 5000, 30000], [], logShippingTopologyOf(prefix));
}

/** Runs `main` and exits with its outcome (benchmarks are commands). */
export function runBench(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: Error) => {
      console.error(error);
      process.exit(1);
    },
  );
}

/** The p-th percentile (0–100) of `values`, nearest rank. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
