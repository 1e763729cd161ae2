/**
 * The nginx gateway outside containers: renders deploy/nginx's templates (the same ones the
 * nginx image renders with envsubst in compose) into a directory of its own, with a main
 * configuration whose pid, logs and temporary files stay in that directory, and starts nginx
 * in the foreground. Used by `npm start` and test/gateway.e2e-spec.ts.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export type GatewayMode = 'dev' | 'prod';

/** host:port of each app, keyed by app name (as in PLATFORM_APPS). */
export type Upstreams = Record<'submission' | 'ai-orchestrator' | 'ai-worker' | 'notification' | 'user-portal' | 'logging' | 'content', string>;

export interface GatewayConfig {
  /** The repository root (deploy/nginx is read from there). */
  root: string;
  /** Where the rendered configuration, pid, logs and temporary files go. */
  dir: string;
  mode: GatewayMode;
  upstreams: Upstreams;
  /** dev: the one plain-HTTP listen address (e.g. "127.0.0.1:8080"). */
  listen?: string;
  /** prod: the HTTP (redirect) and HTTPS listen addresses, certificate and key. */
  httpListen?: string;
  httpsListen?: string;
  tlsCert?: string;
  tlsKey?: string;
  serverName?: string;
}

/** The nginx binary on PATH (or Debian's /usr/sbin), if any. */
export function findNginx(pathVar = process.env.PATH ?? ''): string | undefined {
  const dirs = [...pathVar.split(delimiter), '/usr/sbin', '/usr/local/sbin', '/usr/local/nginx/sbin'];
  return dirs.map((d) => join(d, 'nginx')).find((file) => file.startsWith('/') && existsSync(file));
}

/** Replaces ${NAME} for the given names only, as the nginx image's envsubst does (nginx's own $vars stay). */
export function renderTemplate(text: string, values: Record<string, string>): string {
  return text.replace(/\$\{([A-Z0-9_]+)\}/g, (whole, name: string) => {
    if (!(name in values)) throw new Error(`gateway template: no value for \${${name}}`);
    return values[name];
  });
}

function templateValues(config: GatewayConfig): Record<string, string> {
  const u = config.upstreams;
  return {
    SUBMISSION_UPSTREAM: u.submission,
    AI_ORCHESTRATOR_UPSTREAM: u['ai-orchestrator'],
    AI_WORKER_UPSTREAM: u['ai-worker'],
    NOTIFICATION_UPSTREAM: u.notification,
    USER_PORTAL_UPSTREAM: u['user-portal'],
    LOGGING_UPSTREAM: u.logging,
    CONTENT_UPSTREAM: u.content,
    GATEWAY_LISTEN: config.listen ?? '127.0.0.1:8080',
    GATEWAY_HTTP_LISTEN: config.httpListen ?? '80',
    GATEWAY_HTTPS_LISTEN: config.httpsListen ?? '443',
    GATEWAY_TLS_CERT: config.tlsCert ?? '/etc/nginx/tls/fullchain.pem',
    GATEWAY_TLS_KEY: config.tlsKey ?? '/etc/nginx/tls/privkey.pem',
    GATEWAY_SERVER_NAME: config.serverName ?? '_',
  };
}

/** Writes <dir>/nginx.conf and what it includes; returns the path of nginx.conf. */
export function renderGateway(config: GatewayConfig): string {
  const { root, dir } = config;
  const nginxDir = join(root, 'deploy', 'nginx');
  mkdirSync(join(dir, 'generated'), { recursive: true });
  for (const temp of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, 'temp', temp), { recursive: true });
  // Relative includes resolve against the directory of the main file: statex/ is the shared part.
  rmSync(join(dir, 'statex'), { force: true, recursive: true });
  symlinkSync(join(nginxDir, 'statex'), join(dir, 'statex'), 'dir');
  const values = templateValues(config);
  for (const name of ['upstreams', config.mode]) {
    const text = readFileSync(join(nginxDir, 'templates', `${name}.conf.template`), 'utf8');
    writeFileSync(join(dir, 'generated', `${name}.conf`), renderTemplate(text, values));
  }
  const mimeTypes = existsSync('/etc/nginx/mime.types') ? 'include /etc/nginx/mime.types;' : '';
  // Workers write request bodies to temp/ here. Started by root (CI), nginx would run them as
  // nobody, who may not enter this directory: they run as the invoking user, as they do anyway
  // when nginx is started by anyone else. (The container image keeps its own user setting.)
  const user = process.getuid?.() === 0 ? 'user root;\n' : '';
  const main = `# Rendered by scripts/gateway.ts from deploy/nginx (mode ${config.mode}); do not edit.
${user}daemon off;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 1024; }
http {
  ${mimeTypes}
  default_type application/octet-stream;
  client_body_temp_path ${join(dir, 'temp', 'client_body')};
  proxy_temp_path ${join(dir, 'temp', 'proxy')};
  fastcgi_temp_path ${join(dir, 'temp', 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'temp', 'uwsgi')};
  scgi_temp_path ${join(dir, 'temp', 'scgi')};
  include statex/http.conf;
  access_log ${join(dir, 'access.log')} statex;
  include generated/*.conf;
}
`;
  const file = join(dir, 'nginx.conf');
  writeFileSync(file, main);
  return file;
}

/** `nginx -t`: throws with nginx's own message when the configuration is invalid. */
export function checkGateway(nginx: string, confFile: string, dir: string): void {
  try {
    execFileSync(nginx, ['-t', '-q', '-p', dir, '-e', join(dir, 'error.log'), '-c', confFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const e = error as { stderr?: Buffer; message: string };
    throw new Error(`nginx -t failed: ${e.stderr?.toString().trim() || e.message}`);
  }
}

/** Starts nginx in the foreground with the rendered configuration. */
export function startGateway(nginx: string, confFile: string, dir: string): ChildProcess {
  return spawn(nginx, ['-p', dir, '-e', join(dir, 'error.log'), '-c', confFile], { stdio: ['ignore', 'pipe', 'pipe'] });
}
