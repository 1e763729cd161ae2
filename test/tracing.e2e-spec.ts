import { createServer, IncomingMessage, Server } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthStandIn, BrokerProbe, removeTestNamespace, ServiceProcess, SmtpStandIn, uniqueNamespace, waitFor } from '@statex/testing';
import { AppName, platformProcesses } from './platform';

interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
}

/** An OTLP/HTTP receiver: keeps the spans of every `POST /v1/traces` (JSON), and the content types it saw. */
class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  readonly contentTypes: Array<{ type: string; bytes: number }> = [];
  private server?: Server;
  port = 0;

  async start(): Promise<this> {
    this.server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const type = String(req.headers['content-type'] ?? '');
        this.contentTypes.push({ type, bytes: body.length });
        if (req.url === '/v1/traces' && type.includes('json')) this.keep(JSON.parse(body.toString('utf8')));
        res.writeHead(200, { 'content-type': type.includes('json') ? 'application/json' : 'application/x-protobuf' });
        res.end(type.includes('json') ? '{}' : undefined);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server!.address() as AddressInfo).port;
    return this;
  }

  private keep(request: { resourceSpans?: Array<{ resource?: { attributes?: Array<{ key: string; value: { stringValue?: string } }> }; scopeSpans?: Array<{ spans?: ReceivedSpan[] }> }> }): void {
    for (const rs of request.resourceSpans ?? []) {
      const service = rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ?? '?';
      for (const ss of rs.scopeSpans ?? []) {
        for (const s of ss.spans ?? []) this.spans.push({ service, traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId || undefined, name: s.name, kind: s.kind });
      }
    }
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

/** OpenTelemetry across the built platform: one lead's journey is one trace over four services. */
describe('traces: OTLP over HTTP from every service, one trace per lead journey', () => {
  const namespace = uniqueNamespace('otl');
  const receiver = new OtlpReceiver();
  const smtp = new SmtpStandIn();
  const auth = new AuthStandIn();
  const journey: AppName[] = ['submission', 'notification', 'ai-orchestrator', 'ai-worker'];
  let apps: Record<AppName, ServiceProcess>;
  let content: ServiceProcess;

  beforeAll(async () => {
    await receiver.start();
    await smtp.start();
    await auth.start();
    const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiver.port}`, OTEL_BSP_SCHEDULE_DELAY: 200, LOG_LEVEL: 'info' };
    const common = { ...auth.env, SMTP_PORT: smtp.port, STORAGE_LOCAL_DIR: mkdtempSync(join(tmpdir(), 'statex-traces-')) };
    apps = platformProcesses(namespace, journey, { ...common, ...otel, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
    // The other protocol the issue names, on a service outside the journey.
    content = platformProcesses(namespace, ['content'], { ...common, ...otel, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' }).content;
    for (const app of [...journey.map((a) => apps[a]), content]) app.start();
    for (const app of [...journey.map((a) => apps[a]), content]) await app.ready(90_000);
  }, 150_000);

  afterAll(async () => {
    await Promise.all([...Object.values(apps ?? {}), content].filter(Boolean).map((app) => app.stop()));
    await receiver.stop();
    await smtp.stop();
    await auth.stop();
    await removeTestNamespace(namespace);
    const probe = await new BrokerProbe(namespace).start();
    await probe.cleanup([...journey, 'content']);
    await probe.stop();
  });

  it('a submission produces spans from four services that share one trace id, each with its parent in the trace', async () => {
    const res = await fetch(`${apps.submission.url}/api/submissions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Traced Lead', email: 'traced@example.com', message: 'We need an e-shop with card payments.' }),
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    await waitFor(() => smtp.find(id).some((m) => m.subject?.startsWith('Our first look')), { timeoutMs: 30_000, what: 'the results message' });

    // The trace begins at the form's server span.
    const root = await waitFor(() => receiver.spans.find((s) => s.service === 'submission' && s.kind === 2 && s.name.includes('POST') && !s.parentSpanId), { what: 'the form’s server span' });
    const inTrace = () => receiver.spans.filter((s) => s.traceId === root.traceId);
    const services = await waitFor(
      () => {
        const seen = new Set(inTrace().map((s) => s.service));
        return journey.every((a) => seen.has(a)) && seen;
      },
      { timeoutMs: 20_000, what: `spans of ${journey.join(', ')} in trace ${root.traceId}` },
    );
    expect([...services].sort()).toEqual(expect.arrayContaining([...journey].sort()));
    // Every span but the root has its parent among the trace's spans (batches may still arrive: wait for them).
    await waitFor(
      () => {
        const ids = new Set(inTrace().map((s) => s.spanId));
        return inTrace().every((s) => s === root || (s.parentSpanId && ids.has(s.parentSpanId)));
      },
      { timeoutMs: 10_000, what: 'every span’s parent to arrive' },
    ).catch(() => undefined);
    const ids = new Set(inTrace().map((s) => s.spanId));
    const orphans = inTrace().filter((s) => s !== root && !(s.parentSpanId && ids.has(s.parentSpanId)));
    expect(orphans.map((s) => `${s.service}: ${s.name}`)).toEqual([]);
    // The journey's hops are there: the event published and processed, the email sent, a BullMQ step
    // (each service exports in batches: wait for the ones still on their way, then compare).
    const hops = ['submission: publish request.created', 'notification: process request.created', 'ai-orchestrator: process request.created', 'notification: smtp send', 'submission: process notification.sent'];
    const namesInTrace = () => inTrace().map((s) => `${s.service}: ${s.name}`);
    await waitFor(() => hops.every((hop) => namesInTrace().includes(hop)), { timeoutMs: 15_000, what: `the spans ${hops.join(', ')}` }).catch(() => undefined);
    const names = namesInTrace();
    expect(hops.filter((hop) => !names.includes(hop))).toEqual([]);
    expect(inTrace().some((s) => s.service === 'ai-worker' && s.kind === 5)).toBe(true); // a consumer span of a BullMQ step
    // And the trace id is on the services' log lines.
    expect(apps.submission.output + apps.notification.output).toContain(`"trace_id":"${root.traceId}"`);
  });

  it('speaks OTLP/HTTP protobuf too, when OTEL_EXPORTER_OTLP_PROTOCOL says so', async () => {
    expect((await fetch(`${content.url}/api/content/page?locale=en`)).status).toBeLessThan(500);
    await waitFor(() => receiver.contentTypes.find((c) => c.type === 'application/x-protobuf' && c.bytes > 0), { timeoutMs: 10_000, what: 'a protobuf export' });
  });
});
