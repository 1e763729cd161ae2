import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { parse } from 'yaml';
import { BaseEnv } from '@statex/config';
import { PLATFORM_APPS } from '../scripts/platform-apps';

const root = join(__dirname, '..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');

/** The variables an app's environment class reads (its own and the shared ones). */
async function envClassKeys(app: string): Promise<string[]> {
  const module = await import(`../apps/${app}/src/${app}.env`);
  const EnvClass = Object.values(module).find((value) => typeof value === 'function' && value.prototype instanceof BaseEnv) as new () => object;
  return Object.keys(new EnvClass());
}

/** KEY=value lines of an env file (compose env_file / kustomize configMapGenerator). */
const envFileKeys = (file: string) =>
  read(file)
    .split('\n')
    .filter((line) => /^[A-Z0-9_]+=/.test(line))
    .map((line) => line.split('=')[0]);

/** The Compose Specification's JSON schema (deploy/schemas/README.md says where it comes from). */
const composeSchema = new Ajv({ allErrors: true, strict: false, validateSchema: false }).compile(JSON.parse(read('deploy/schemas/compose-spec.json')));

/** No Docker engine runs here, so the compose files are checked against the apps instead. */
describe.each(['docker-compose.yml', 'docker-compose.prod.yml'])('%s', (file) => {
  const compose = parse(read(file), { merge: true });

  it.each(PLATFORM_APPS.map((a) => [a.app, a.port, a.portVar] as const))('runs %s on port %i with the image built from deploy/Dockerfile', (app, port, portVar) => {
    const service = compose.services[app];
    expect(service).toBeDefined();
    expect(service.environment.APP).toBe(app);
    expect(String(service.environment[portVar])).toBe(String(port));
    const published = [...(service.ports ?? []), ...(service.expose ?? [])].map(String);
    expect(published.some((p: string) => p === String(port) || p.endsWith(`:${port}`))).toBe(true);
    expect(service.environment.POSTGRES_HOST).toBe('postgres');
    expect(service.environment.RABBITMQ_URL).toMatch(/@rabbitmq:5672$/);
    expect(service.environment.REDIS_URL).toBe('redis://redis:6379');
    expect(Object.keys(service.depends_on)).toEqual(expect.arrayContaining(['postgres', 'rabbitmq', 'redis']));
  });

  it('is valid against the Compose Specification', () => {
    const valid = composeSchema(compose);
    expect(composeSchema.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    // The check can fail: an unknown service key is refused.
    expect(composeSchema({ services: { x: { image: 'a', imagee: 'b' } } })).toBe(false);
  });

  it('sets every variable each service reads (env_file with the container defaults, then environment)', async () => {
    for (const { app } of PLATFORM_APPS) {
      const service = compose.services[app];
      const set = new Set<string>([...Object.keys(service.environment), ...(service.env_file as string[]).flatMap((f) => envFileKeys(f))]);
      for (const name of await envClassKeys(app)) expect({ app, name, set: set.has(name) }).toEqual({ app, name, set: true });
    }
  });

  it('runs the gateway, Prometheus, Grafana and the exporters beside the apps, trusting only its own network as proxy', () => {
    for (const name of ['gateway', 'prometheus', 'grafana', 'redis-exporter', 'postgres-exporter', 'mailpit', 'minio']) {
      if (name === 'mailpit' && file.includes('prod')) continue;
      expect({ name, defined: Boolean(compose.services[name]) }).toEqual({ name, defined: true });
    }
    const subnet = compose.networks.default.ipam.config[0].subnet;
    for (const { app } of PLATFORM_APPS) {
      expect(compose.services[app].environment.TRUST_PROXY).toBe(subnet);
      expect(compose.services[app].environment.HTTP_HOST).toBe('0.0.0.0');
    }
    const gateway = compose.services.gateway;
    for (const { app, port } of PLATFORM_APPS) expect(gateway.environment[`${app.toUpperCase().replace(/-/g, '_')}_UPSTREAM`]).toBe(`${app}:${port}`);
    expect(gateway.volumes).toEqual(expect.arrayContaining([`./deploy/nginx/templates/${file.includes('prod') ? 'prod' : 'dev'}.conf.template:/etc/nginx/templates/${file.includes('prod') ? 'prod' : 'dev'}.conf.template:ro`]));
    for (const mount of gateway.volumes as string[]) {
      const source = mount.split(':')[0];
      if (source.startsWith('./')) expect({ mount, exists: existsSync(join(root, source)) }).toEqual({ mount, exists: true });
    }
  });

  it('pins every image to a version', () => {
    for (const [name, service] of Object.entries(compose.services as Record<string, { image?: string }>)) {
      if (!service.image || service.image.startsWith('statex/platform:')) continue;
      expect({ name, image: service.image, pinned: /:[^:]+$/.test(service.image) && !service.image.endsWith(':latest') }).toEqual({ name, image: service.image, pinned: true });
    }
  });

  it('sets only variables the services read', () => {
    const example = read('.env.example');
    const ignored = new Set(['APP', 'PORT_CHECK']);
    for (const { app } of PLATFORM_APPS) {
      for (const name of Object.keys(compose.services[app].environment)) {
        if (!ignored.has(name)) expect({ name, documented: new RegExp(`^${name}=`, 'm').test(example) }).toEqual({ name, documented: true });
      }
    }
  });
});

describe('docker-compose.yml (development)', () => {
  const compose = parse(read('docker-compose.yml'), { merge: true });

  it('publishes host ports on 127.0.0.1 only, the gateway on 80', () => {
    for (const [name, service] of Object.entries(compose.services as Record<string, { ports?: string[] }>)) {
      for (const port of service.ports ?? []) expect({ name, port, loopback: String(port).startsWith('127.0.0.1:') }).toEqual({ name, port, loopback: true });
    }
    expect(compose.services.gateway.ports).toEqual(['127.0.0.1:80:80']);
    expect(compose.services.gateway.environment.GATEWAY_LISTEN).toBe('80');
  });
});

describe('docker-compose.prod.yml', () => {
  const compose = parse(read('docker-compose.prod.yml'), { merge: true });
  const services = compose.services as Record<string, { ports?: string[]; restart?: string; deploy?: { resources?: { limits?: { memory?: string } } }; environment?: Record<string, string> }>;

  it('publishes no port but the gateway\'s 80 and 443', () => {
    for (const [name, service] of Object.entries(services)) {
      if (name !== 'gateway') expect({ name, ports: service.ports }).toEqual({ name, ports: undefined });
    }
    expect(services.gateway.ports).toEqual(['80:80', '443:443']);
  });

  it('restarts and limits every long-running service', () => {
    for (const [name, service] of Object.entries(services)) {
      if (name === 'minio-init') continue;
      expect({ name, restart: service.restart, memory: Boolean(service.deploy?.resources?.limits?.memory) }).toEqual({ name, restart: 'always', memory: true });
    }
  });

  it('gives each service its own database role and storage key, secrets from the environment', () => {
    const text = read('docker-compose.prod.yml');
    const roles = PLATFORM_APPS.filter(({ app }) => services[app].environment?.POSTGRES_USER).map(({ app }) => services[app].environment!.POSTGRES_USER);
    expect(new Set(roles).size).toBe(roles.length);
    expect(roles).not.toContain('postgres');
    const keys = ['submission', 'ai-worker', 'content'].map((app) => services[app].environment!.S3_ACCESS_KEY_ID);
    expect(keys).toEqual(['submission', 'ai-worker', 'content']);
    for (const { app } of PLATFORM_APPS) {
      for (const name of ['POSTGRES_PASSWORD', 'S3_SECRET_ACCESS_KEY', 'AUTH_KEYS_SECRET', 'ADMIN_PASSWORD']) {
        const value = services[app].environment?.[name];
        if (value !== undefined) expect({ app, name, fromEnvironment: /^\$\{[A-Z0-9_]+:\?/.test(value) || text.includes(`${name}: \${`) }).toEqual({ app, name, fromEnvironment: true });
      }
    }
    expect(read('deploy/postgres/init-roles.sh')).toContain('NOCREATEDB');
    expect(read('deploy/minio/init-storage.sh')).toContain('"s3:GetObject"');
  });
});

describe('.env.example', () => {
  it('documents every variable every service reads', async () => {
    const example = read('.env.example');
    for (const { app } of PLATFORM_APPS) {
      const module = await import(`../apps/${app}/src/${app}.env`);
      // The app's environment class, whatever else the module exports (constants, helpers).
      const EnvClass = Object.values(module).find((value) => typeof value === 'function' && value.prototype instanceof BaseEnv) as (new () => object) | undefined;
      expect({ app, envClass: Boolean(EnvClass) }).toEqual({ app, envClass: true });
      for (const name of Object.keys(new EnvClass!())) {
        expect({ app, name, documented: new RegExp(`^${name}=`, 'm').test(example) }).toEqual({ app, name, documented: true });
      }
    }
  });
});

describe('deployment files', () => {
  it('the Dockerfile builds every app the compose files run', () => {
    const dockerfile = read('deploy/Dockerfile');
    expect(dockerfile).toContain('npm run build');
    expect(dockerfile).toContain('dist/apps/${APP}/src/main.js');
    for (const { app } of PLATFORM_APPS) expect(existsSync(join(root, 'apps', app, 'src', 'main.ts'))).toBe(true);
  });

  it('the image is on a maintained Node LTS, runs as non-root with production dependencies only, and has a HEALTHCHECK', () => {
    const dockerfile = read('deploy/Dockerfile');
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:(22|24)-bookworm-slim$/m);
    expect(dockerfile).not.toMatch(/node:20/);
    expect(dockerfile).toContain('npm ci --omit=dev');
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK /m);
    // The final stage copies the pruned dependencies, never the build stage's node_modules.
    expect(dockerfile).toContain('COPY --from=deps --chown=root:root /app/node_modules ./node_modules');
    expect(dockerfile).not.toContain('COPY --from=build /app/node_modules');
  });

  it('nest-cli.json knows the seven apps', () => {
    const nest = JSON.parse(read('nest-cli.json'));
    for (const { app } of PLATFORM_APPS) expect(nest.projects[app].entryFile).toBe(`apps/${app}/src/main`);
  });
});
