import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { BaseEnv } from '@statex/config';
import { PLATFORM_APPS } from '../scripts/platform-apps';

const root = join(__dirname, '..');
const OVERLAYS = ['dev', 'prod'] as const;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; spec?: any; data?: Record<string, string> };

/** `kubectl kustomize`: no cluster needed. A missing kubectl is a failure, not a skip. */
function render(overlay: string): K8sObject[] {
  let out: string;
  try {
    out = execFileSync('kubectl', ['kustomize', join(root, 'deploy', 'k8s', 'overlays', overlay)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const e = error as { code?: string; stderr?: string; message: string };
    if (e.code === 'ENOENT') throw new Error('kubectl is not installed: the CI machine image ships it (kubectl kustomize renders the overlays)');
    throw new Error(`kubectl kustomize overlays/${overlay} failed: ${e.stderr ?? e.message}`);
  }
  return parseAllDocuments(out).map((d) => d.toJS() as K8sObject);
}

/** The kubernetes-models class for an object (its JSON schema validates it), KEDA's included. */
function modelOf(object: K8sObject): (new (data: unknown) => { validate(): void }) | undefined {
  const [group, version] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : ['', object.apiVersion];
  const modulePath = group === 'keda.sh' ? `@kubernetes-models/keda/keda.sh/${version}` : group ? `kubernetes-models/${group}/${version}` : `kubernetes-models/v1`;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require(modulePath) as Record<string, new (data: unknown) => { validate(): void }>)[object.kind];
}

const envClassKeys = async (app: string): Promise<string[]> => {
  const module = await import(`../apps/${app}/src/${app}.env`);
  const EnvClass = Object.values(module).find((v) => typeof v === 'function' && (v as { prototype: unknown }).prototype instanceof BaseEnv) as new () => object;
  return Object.keys(new EnvClass());
};

const envFileKeys = (file: string) =>
  readFileSync(join(root, file), 'utf8')
    .split('\n')
    .filter((l) => /^[A-Z0-9_]+=/.test(l))
    .map((l) => l.split('=')[0]);

describe.each(OVERLAYS)('deploy/k8s/overlays/%s', (overlay) => {
  const objects = render(overlay);
  const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);
  const findPrefixed = (kind: string, prefix: string) => objects.find((o) => o.kind === kind && (o.metadata.name === prefix || o.metadata.name.startsWith(`${prefix}-`)));

  it('renders objects that validate against the Kubernetes (and KEDA) schemas', () => {
    expect(objects.length).toBeGreaterThan(40);
    for (const object of objects) {
      const Model = modelOf(object);
      expect({ kind: object.kind, apiVersion: object.apiVersion, known: Boolean(Model) }).toEqual({ kind: object.kind, apiVersion: object.apiVersion, known: true });
      let error: string | undefined;
      try {
        new Model!(object).validate();
      } catch (e) {
        error = (e as Error).message;
      }
      expect({ object: `${object.kind}/${object.metadata.name}`, error }).toEqual({ object: `${object.kind}/${object.metadata.name}`, error: undefined });
      if (object.kind !== 'Namespace') expect(object.metadata.namespace).toBe('statex');
    }
  });

  it('a broken object fails the schema check (the check can fail)', () => {
    const deployment = structuredClone(find('Deployment', 'submission')!);
    deployment.spec.template.spec.containers[0].ports[0].containerPort = 'eight thousand';
    expect(() => new (modelOf(deployment)!)(deployment).validate()).toThrow(/containerPort/);
  });

  it.each(PLATFORM_APPS.map((a) => [a.app, a.port] as const))('runs %s with probes, resources, a Service, a PDB, an autoscaler or a singleton, and a NetworkPolicy', (app, port) => {
    const deployment = find('Deployment', app)!;
    expect(deployment).toBeDefined();
    const container = deployment.spec.template.spec.containers[0];
    expect(container.env).toEqual(expect.arrayContaining([{ name: 'APP', value: app }]));
    expect(container.ports[0]).toMatchObject({ name: 'http', containerPort: port });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/health/live', port: 'http' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/health/ready', port: 'http' });
    expect(container.resources.requests).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
    expect(container.resources.limits).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
    expect(deployment.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
    expect(find('Service', app)!.spec.ports[0].port).toBe(port);
    expect(find('PodDisruptionBudget', app)).toBeDefined();
    const scaled = find('ScaledObject', app);
    const hpa = find('HorizontalPodAutoscaler', app);
    if (app === 'ai-worker' || app === 'notification') {
      // Scaled on queue depth by KEDA (which makes its own HPA), not by a second HPA of ours.
      expect(scaled?.spec.triggers.map((t: { type: string }) => t.type)).toEqual(expect.arrayContaining([app === 'ai-worker' ? 'redis' : 'rabbitmq']));
      expect(hpa).toBeUndefined();
    } else if (app === 'ai-orchestrator') {
      expect(deployment.spec.replicas).toBe(1);
      expect(hpa).toBeUndefined();
    } else {
      expect(hpa?.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: app });
    }
    const policy = find('NetworkPolicy', app)!;
    expect(policy.spec.podSelector.matchLabels).toEqual({ 'app.kubernetes.io/name': app });
    expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    const egressPorts = policy.spec.egress.flatMap((rule: { ports: Array<{ port: number }> }) => rule.ports.map((p) => p.port));
    const usesRedis = app !== 'logging';
    expect({ app, redis: egressPorts.includes(6379) }).toEqual({ app, redis: usesRedis });
    // Only the services that call the internet may (object storage, AI provider, mail and chat APIs).
    expect({ app, internet: egressPorts.includes(443) }).toEqual({ app, internet: ['submission', 'ai-worker', 'notification', 'content'].includes(app) });
  });

  it('denies all traffic by default', () => {
    expect(find('NetworkPolicy', 'default-deny')!.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
  });

  it('sets every variable each service reads, from its ConfigMaps and Secret', async () => {
    const devSecrets = (app: string) => envFileKeys(`deploy/k8s/overlays/dev/secrets/${app}.env`);
    for (const { app } of PLATFORM_APPS) {
      const container = find('Deployment', app)!.spec.template.spec.containers[0];
      const set = new Set<string>((container.env ?? []).map((e: { name: string }) => e.name));
      for (const source of container.envFrom) {
        if (source.configMapRef) Object.keys(findPrefixed('ConfigMap', source.configMapRef.name)!.data ?? {}).forEach((k) => set.add(k));
        if (source.secretRef) {
          const secret = findPrefixed('Secret', source.secretRef.name);
          // Production Secrets are made outside the repository with the keys of the development ones.
          if (overlay === 'prod') expect(secret).toBeUndefined();
          (secret ? Object.keys(secret.data ?? {}) : devSecrets(app)).forEach((k) => set.add(k));
        }
      }
      for (const name of await envClassKeys(app)) expect({ app, name, set: set.has(name) }).toEqual({ app, name, set: true });
    }
  });

  it('routes the gateway paths through the Ingress, and never /metrics, /docs or /queues', () => {
    const paths = objects
      .filter((o) => o.kind === 'Ingress')
      .flatMap((o) => o.spec.rules.flatMap((r: { http: { paths: Array<{ path: string; backend: { service: { name: string } } }> } }) => r.http.paths.map((p) => [p.path, p.backend.service.name])));
    expect(Object.fromEntries(paths)).toEqual({
      '/api/submissions': 'submission',
      '/api/auth': 'user-portal',
      '/api/content': 'content',
      '/api/workflows': 'ai-orchestrator',
      '/api/analyze': 'ai-worker',
      '/api/notifications': 'notification',
      '/api/templates': 'notification',
      '/api/users': 'user-portal',
      '/.well-known/jwks.json': 'user-portal',
      '/verify-email': 'user-portal',
      '/reset-password': 'user-portal',
      '/forgot-password': 'user-portal',
      '/api/logs': 'logging',
      '/api/events': 'logging',
      '/api/leads': 'logging',
    });
    expect(find('Ingress', 'statex-intake')!.metadata).toMatchObject({ annotations: { 'nginx.ingress.kubernetes.io/proxy-body-size': '51m', 'nginx.ingress.kubernetes.io/limit-rpm': '10' } });
  });

  it('migrates with a Job, and reaches PostgreSQL, RabbitMQ and Redis as managed services', () => {
    const job = find('Job', 'migrate')!;
    expect(job.spec.template.spec.containers[0].command).toEqual(['node', 'dist/scripts/migrate.js']);
    for (const name of ['postgres', 'rabbitmq', 'redis']) expect(find('Service', name)!.spec.type).toBe('ExternalName');
    expect(objects.filter((o) => o.kind === 'StatefulSet')).toEqual([]);
  });
});
