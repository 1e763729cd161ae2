/**
 * `npm start`: the whole platform on one machine. Starts the MailDev mail catcher,
 * then the seven built apps as separate processes (each runs its migrations at
 * start), waits until every one is ready, prints the URLs, restarts an app that
 * dies, and stops everything cleanly on Ctrl-C. Logs go to var/log/<app>.log.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, WriteStream } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { readEnvSource } from '@statex/config';
import { DEV_ADMIN_PASSWORD } from '../apps/user-portal/src/user-portal.env';
import { checkGateway, findNginx, renderGateway, Upstreams } from './gateway';
import { APP_PROCESS_DEFAULTS, applyPriority, PLATFORM_APPS } from './platform-apps';

const root = resolve(__dirname, '..', '..');
const logDir = join(root, 'var', 'log');
const env = readEnvSource();
const processEnv = { ...APP_PROCESS_DEFAULTS, ...process.env, ...env } as NodeJS.ProcessEnv;
const smtpHost = env.SMTP_HOST || '127.0.0.1';
const smtpPort = Number(env.SMTP_PORT || 1025);
const mailWebPort = Number(env.MAILDEV_WEB_PORT || 8025);
const readyTimeoutMs = Number(env.PLATFORM_READY_TIMEOUT_MS || 90_000);
const gatewayPort = Number(env.GATEWAY_PORT || 8080);

interface Managed {
  name: string;
  command: string[];
  port?: number;
  log: WriteStream;
  child?: ChildProcess;
  restarts: number;
}

let stopping = false;
const managed: Managed[] = [];

function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
    socket.setTimeout(1000, () => {
      socket.destroy();
      done(false);
    });
  });
}

function launch(m: Managed): void {
  m.log.write(`\n--- ${new Date().toISOString()} starting ${m.name} ---\n`);
  const child = spawn(m.command[0], m.command.slice(1), { cwd: root, env: processEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  applyPriority(m.name, child.pid);
  m.child = child;
  child.stdout!.pipe(m.log, { end: false });
  child.stderr!.pipe(m.log, { end: false });
  child.on('exit', (code, signal) => {
    if (stopping) return;
    m.restarts += 1;
    const delay = Math.min(1000 * 2 ** (m.restarts - 1), 30_000);
    console.error(`✗ ${m.name} exited (${signal ?? `code ${code}`}); restarting in ${delay / 1000}s — see var/log/${m.name}.log`);
    setTimeout(() => !stopping && launch(m), delay);
  });
}

function tail(name: string, lines = 25): string {
  try {
    return readFileSync(join(logDir, `${name}.log`), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

async function waitReady(m: Managed): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < readyTimeoutMs) {
    try {
      const res = await fetch(`http://127.0.0.1:${m.port}/health/ready`);
      if (res.status === 200) return Date.now() - started;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${m.name} was not ready on port ${m.port} after ${readyTimeoutMs / 1000}s.\n${tail(m.name)}`);
}

async function stopAll(code: number): Promise<never> {
  if (stopping) return new Promise<never>(() => undefined);
  stopping = true;
  console.log('\nStopping StateX…');
  await Promise.all(
    managed.map(
      (m) =>
        new Promise<void>((done) => {
          const child = m.child;
          if (!child || child.exitCode !== null || child.signalCode !== null) return done();
          const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
          child.once('exit', () => {
            clearTimeout(timer);
            done();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
  console.log('Stopped.');
  process.exit(code);
}

async function main(): Promise<void> {
  mkdirSync(logDir, { recursive: true });
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  const mailcatcherWanted = (env.MAILCATCHER ?? 'on') !== 'off';
  let mailNote = `SMTP ${smtpHost}:${smtpPort}`;
  if (mailcatcherWanted) {
    if (await portOpen(smtpHost, smtpPort)) {
      mailNote = `SMTP ${smtpHost}:${smtpPort} (already listening; MailDev not started)`;
    } else {
      const maildev = join(root, 'node_modules', 'maildev', 'bin', 'maildev');
      const m: Managed = {
        name: 'maildev',
        command: [process.execPath, maildev, '--smtp', String(smtpPort), '--web', String(mailWebPort), '--ip', '127.0.0.1', '--silent'],
        log: createWriteStream(join(logDir, 'maildev.log'), { flags: 'a' }),
        restarts: 0,
      };
      managed.push(m);
      launch(m);
      mailNote = `MailDev: SMTP 127.0.0.1:${smtpPort}, inbox http://localhost:${mailWebPort}`;
    }
  }

  const apps: Managed[] = PLATFORM_APPS.map(({ app, portVar, port }) => ({
    name: app,
    port: Number(env[portVar] || port),
    command: [process.execPath, join(root, 'dist', 'apps', app, 'src', 'main.js')],
    log: createWriteStream(join(logDir, `${app}.log`), { flags: 'a' }),
    restarts: 0,
  }));
  for (const app of apps) {
    if (await portOpen('127.0.0.1', app.port!)) {
      console.error(`✗ Port ${app.port} (${app.name}) is already in use: is StateX already running? Set ${PLATFORM_APPS.find((a) => a.app === app.name)!.portVar} to use another.`);
      await stopAll(1);
    }
  }
  // Behind the gateway the services see every client as 127.0.0.1: let them believe its X-Forwarded-For.
  if (gatewayPort !== 0 && findNginx() && !env.TRUST_PROXY) processEnv.TRUST_PROXY = '127.0.0.1';
  console.log(`Starting StateX: ${apps.length} services (logs in var/log/)…`);
  for (const app of apps) {
    managed.push(app);
    launch(app);
  }
  try {
    for (const app of apps) {
      const ms = await waitReady(app);
      console.log(`  ✓ ${app.name.padEnd(16)} ready in ${(ms / 1000).toFixed(1)}s`);
    }
  } catch (error) {
    console.error(`✗ ${(error as Error).message}`);
    await stopAll(1);
  }

  const gatewayNote = await startGatewayIfPresent(apps);

  console.log('\nStateX is running:\n');
  console.log(`  ${'service'.padEnd(16)} ${'API'.padEnd(28)} Swagger UI`);
  for (const app of apps) {
    console.log(`  ${app.name.padEnd(16)} ${`http://localhost:${app.port}/api`.padEnd(28)} http://localhost:${app.port}/docs`);
  }
  console.log(`\n  Contact form:  POST http://localhost:${apps[0].port}/api/submissions`);
  console.log(`  Gateway:       ${gatewayNote}`);
  console.log(`  Mail:          ${mailNote}`);
  console.log(`  Health:        /health/live, /health/ready   Metrics: /metrics`);
  const portal = apps.find((a) => a.name === 'user-portal')!;
  const adminEmail = env.ADMIN_EMAIL || 'admin@statex.local';
  const adminPassword = env.ADMIN_PASSWORD || DEV_ADMIN_PASSWORD;
  console.log('\nSign in (operator routes, /queues, admin): the first admin comes from ADMIN_EMAIL / ADMIN_PASSWORD');
  console.log(`  curl -s -X POST http://localhost:${portal.port}/api/auth/login -H 'content-type: application/json' \\`);
  console.log(`    -d '{"email":"${adminEmail}","password":"${adminPassword === DEV_ADMIN_PASSWORD ? DEV_ADMIN_PASSWORD : '<ADMIN_PASSWORD>'}"}'`);
  console.log(`  then send  Authorization: Bearer <accessToken>.  Queues in a browser: http://localhost:${apps.find((a) => a.name === 'notification')!.port}/queues`);
  if (adminPassword === DEV_ADMIN_PASSWORD) console.log('  (development default password: a production start refuses it)');
  console.log('\nTry `npm run demo` in another terminal. Press Ctrl-C to stop.');
}

/** The nginx gateway (deploy/nginx, development mode) in front of the apps, when nginx is installed. */
async function startGatewayIfPresent(apps: Managed[]): Promise<string> {
  if (gatewayPort === 0) return 'off (GATEWAY_PORT=0)';
  const nginx = findNginx();
  if (!nginx) {
    console.log('  - gateway         not started: no nginx binary (install nginx to get one origin on port ' + gatewayPort + ')');
    return 'not started (no nginx binary)';
  }
  if (await portOpen('127.0.0.1', gatewayPort)) {
    console.error(`  ✗ gateway         port ${gatewayPort} is already in use; set GATEWAY_PORT to use another (going on without it)`);
    return `not started (port ${gatewayPort} in use)`;
  }
  const dir = join(root, 'var', 'gateway');
  const upstreams = Object.fromEntries(apps.map((a) => [a.name, `127.0.0.1:${a.port}`])) as Upstreams;
  try {
    const conf = renderGateway({ root, dir, mode: 'dev', upstreams, listen: `127.0.0.1:${gatewayPort}` });
    checkGateway(nginx, conf, dir);
    const m: Managed = {
      name: 'gateway',
      port: gatewayPort,
      command: [nginx, '-p', dir, '-e', join(dir, 'error.log'), '-c', conf],
      log: createWriteStream(join(logDir, 'gateway.log'), { flags: 'a' }),
      restarts: 0,
    };
    managed.push(m);
    launch(m);
    const started = Date.now();
    while (!(await portOpen('127.0.0.1', gatewayPort))) {
      if (Date.now() - started > 10_000) throw new Error(`nginx did not listen on ${gatewayPort}: see var/gateway/error.log`);
      await new Promise((r) => setTimeout(r, 200));
    }
    console.log(`  ✓ ${'gateway'.padEnd(16)} nginx on http://localhost:${gatewayPort}`);
    return `http://localhost:${gatewayPort} (nginx: /api/... of every service; access log var/gateway/access.log)`;
  } catch (error) {
    console.error(`  ✗ gateway         ${(error as Error).message} (going on without it)`);
    return 'not started (see above)';
  }
}

void main();
