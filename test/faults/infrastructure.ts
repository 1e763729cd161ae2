import { execFileSync, execSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { waitFor } from '@statex/testing';

/**
 * Stops and starts the machine's real PostgreSQL, Redis and RabbitMQ, as `.ci/run` and the
 * machine notes start them. Every fault test calls `restoreAll()` in its `afterAll`, so a failing
 * test never leaves a dependency down for the tests after it.
 */

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitPort(name: string, port: number, open: boolean, timeoutMs = 60_000): Promise<void> {
  await waitFor(async () => (await portOpen(port)) === open, { timeoutMs, intervalMs: 200, what: `${name} to ${open ? 'listen' : 'stop listening'} on ${port}` });
}

function run(command: string, args: string[]): void {
  execFileSync(command, args, { stdio: 'pipe', timeout: 90_000 });
}

const pgCluster = () => readdirSync('/etc/postgresql').sort()[0];

export const postgres = {
  async stop(): Promise<void> {
    run('pg_ctlcluster', ['--skip-systemctl-redirect', pgCluster(), 'main', 'stop', '-m', 'fast']);
    await waitPort('PostgreSQL', 5432, false);
  },
  async start(): Promise<void> {
    if (!(await portOpen(5432))) run('pg_ctlcluster', ['--skip-systemctl-redirect', pgCluster(), 'main', 'start']);
    await waitPort('PostgreSQL', 5432, true);
  },
};

export const redis = {
  /** SIGKILL, as a crash: this Redis keeps nothing on disk, so every BullMQ job and cache entry is gone. */
  async kill(): Promise<void> {
    execSync('pkill -9 -x redis-server || true');
    await waitPort('Redis', 6379, false);
  },
  async start(): Promise<void> {
    if (!(await portOpen(6379))) {
      execSync('mkdir -p /var/lib/redis /var/log/redis');
      run('redis-server', ['--daemonize', 'yes', '--bind', '127.0.0.1', '-::1', '--port', '6379', '--save', '', '--appendonly', 'no', '--dir', '/var/lib/redis', '--logfile', '/var/log/redis/ci.log']);
    }
    await waitPort('Redis', 6379, true);
  },
};

export const rabbitmq = {
  async stop(): Promise<void> {
    run('rabbitmqctl', ['stop_app']);
    await waitPort('RabbitMQ', 5672, false);
  },
  async start(): Promise<void> {
    if (!(await portOpen(5672))) run('rabbitmqctl', ['start_app']);
    await waitPort('RabbitMQ', 5672, true, 90_000);
  },
};

/** Brings back whatever a fault test stopped. */
export async function restoreAll(): Promise<void> {
  await postgres.start();
  await redis.start();
  await rabbitmq.start();
}
