import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { BaseEnv } from '@statex/config';
import { PLATFORM_APPS } from '../scripts/platform-apps';

const root = join(__dirname, '..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');

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

  it('nest-cli.json knows the seven apps', () => {
    const nest = JSON.parse(read('nest-cli.json'));
    for (const { app } of PLATFORM_APPS) expect(nest.projects[app].entryFile).toBe(`apps/${app}/src/main`);
  });
});
