import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthStandIn, bearer, BrokerProbe, removeTestNamespace, fixtures, ServiceProcess, SmtpStandIn, uniqueNamespace, waitFor } from '@statex/testing';
import { backtrackingTexts, hostile, withNul } from './fixtures/hostile/corpus';
import { AppName, platformProcesses } from './platform';

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
/** Bounds asserted over the whole corpus (issue 8 measured 4.0 GB, health slower than 1 s, 15.6 s answers). */
const HEALTH_BOUND_MS = 1000;
const ANSWER_BOUND_MS = 10_000;
const RSS_BOUND_MB = 1024;
/**
 * prom-client's event-loop delay also counts time the OS did not run the process (two cores shared
 * with the parsing thread and the other services): bounded looser than the health answer, which is
 * the requirement.
 */
const LAG_BOUND_MS = 1500;

interface Sample {
  healthMs: number;
  lagMaxSeconds?: number;
  rssBytes?: number;
}

/**
 * Watches ai-worker from outside while it works: /health/live every 200 ms (its answer time), and
 * /metrics every 500 ms (prom-client's event-loop delay histogram, reset at each scrape, so its max
 * is the worst delay since the previous scrape; resident memory).
 */
class WorkerWatch {
  readonly samples: Sample[] = [];
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(private readonly base: string) {}

  start(): void {
    this.running = true;
    this.loops = [this.loop(200, () => this.health()), this.loop(500, () => this.metrics())];
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  get worstHealthMs(): number {
    return Math.max(0, ...this.samples.map((s) => s.healthMs).filter((v) => v >= 0));
  }

  get worstLagSeconds(): number {
    return Math.max(0, ...this.samples.map((s) => s.lagMaxSeconds ?? 0));
  }

  /** Scrapes of /metrics, and those that carried the event-loop delay: the lag bound means nothing without them. */
  get metricsScrapes(): number {
    return this.samples.filter((s) => s.healthMs < 0).length;
  }

  get lagSamples(): number[] {
    return this.samples.flatMap((s) => (s.lagMaxSeconds === undefined ? [] : [s.lagMaxSeconds]));
  }

  get peakSampledRss(): number {
    return Math.max(0, ...this.samples.map((s) => s.rssBytes ?? 0));
  }

  private async loop(everyMs: number, work: () => Promise<void>): Promise<void> {
    while (this.running) {
      await work();
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }

  private async health(): Promise<void> {
    const started = performance.now();
    const res = await fetch(`${this.base}/health/live`, { signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
    this.samples.push({ healthMs: res?.status === 200 ? performance.now() - started : 10_000 });
  }

  private async metrics(): Promise<void> {
    const text = await fetch(`${this.base}/metrics`, { signal: AbortSignal.timeout(10_000) })
      .then((r) => r.text())
      .catch(() => '');
    const value = (name: string) => {
      const match = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text);
      return match ? Number(match[1]) : undefined;
    };
    this.samples.push({ healthMs: -1, lagMaxSeconds: value('nodejs_eventloop_lag_max_seconds'), rssBytes: value('process_resident_memory_bytes') });
  }
}

/** The pid of this test's ai-worker process (its command line and namespace), for its kernel-measured peak RSS. */
function workerPid(namespace: string): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (!cmdline.includes('dist/apps/ai-worker/src/main.js')) continue;
      if (readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(`BULLMQ_PREFIX=${namespace}`)) return Number(entry);
    } catch {
      // A process that ended meanwhile, or not ours to read.
    }
  }
  throw new Error('ai-worker process not found');
}

/** VmHWM: the most resident memory the process has had since it started (worker threads included). */
function peakRssBytes(pid: number): number {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match![1]) * 1024;
}

const mb = (bytes: number) => Math.round(bytes / (1024 * 1024));

/** The hostile corpus (test/fixtures/hostile) through the built platform's public form and POST /api/analyze. */
describe('hostile input across processes: the corpus through the form and POST /api/analyze', () => {
  const namespace = uniqueNamespace('hst');
  const smtp = new SmtpStandIn();
  const auth = new AuthStandIn();
  let apps: Record<AppName, ServiceProcess>;
  let operator: Record<string, string>;
  let watch: WorkerWatch;
  const measures: Record<string, string | number> = {};
  const accepted: { id: string; what: string }[] = [];

  const form = (fields: Record<string, string>, files: { name: string; content: Buffer }[] = []) => {
    const body = new FormData();
    for (const [key, value] of Object.entries(fields)) body.set(key, value);
    for (const file of files) body.append('attachments', new Blob([file.content]), file.name);
    return body;
  };
  const lead = (message = 'We need a new e-shop with card payments and shipping for our 300 products.') => ({ name: 'Jana Nováková', email: 'jana@example.com', message });

  /** POSTs a form and returns its status, body and answer time. */
  const post = async (body: FormData | string, headers: Record<string, string> = {}) => {
    const started = performance.now();
    const res = await fetch(`${apps.submission.url}/api/submissions`, { method: 'POST', body, headers, signal: AbortSignal.timeout(30_000) });
    const json = (await res.json().catch(() => ({}))) as any;
    return { status: res.status, body: json, ms: performance.now() - started };
  };

  /** An ordinary lead from the form to the results message: how long it takes. */
  const journey = async () => {
    const started = performance.now();
    const res = await post(form(lead(), [{ name: 'brief.pdf', content: fixtures.pdfWithText('An online shop for our 300 products, with card payments.') }]));
    expect(res.status).toBe(202);
    await waitFor(
      async () => {
        const view = (await (await fetch(res.body.statusUrl)).json()) as any;
        if (view.status === 'analysis_failed' || view.status === 'answer_failed') throw new Error(`the lead ended ${view.status}`);
        return view.status === 'answered';
      },
      { timeoutMs: 90_000, intervalMs: 50, what: 'the ordinary lead to be answered' },
    );
    await waitFor(() => smtp.find(res.body.id).find((m) => m.subject?.startsWith('Our first look')), { timeoutMs: 10_000, what: 'the results message' });
    return performance.now() - started;
  };

  beforeAll(async () => {
    await smtp.start();
    await auth.start();
    operator = bearer(await auth.mint({ roles: ['operator'], expiresIn: 3600 }));
    apps = platformProcesses(namespace, ['submission', 'ai-orchestrator', 'ai-worker', 'notification'], {
      ...auth.env,
      SMTP_PORT: smtp.port,
      STORAGE_LOCAL_DIR: mkdtempSync(join(tmpdir(), 'statex-hostile-')),
    });
    for (const app of Object.values(apps)) app.start();
    for (const app of Object.values(apps)) await app.ready(90_000);
    watch = new WorkerWatch(apps['ai-worker'].url);
  }, 120_000);

  afterAll(async () => {
    await watch?.stop();
    process.stdout.write(`hostile-input measures: ${JSON.stringify(measures, null, 2)}\n`);
    await Promise.all(Object.values(apps ?? {}).map((app) => app.stop()));
    await smtp.stop();
    await auth.stop();
    await removeTestNamespace(namespace);
    const probe = await new BrokerProbe(namespace).start();
    await probe.cleanup(['submission', 'ai-orchestrator', 'ai-worker', 'notification']);
    await probe.stop();
  });

  it('an ordinary lead on the idle platform (the reference journey)', async () => {
    // The first lead also warms the processes up (JIT, connections, pdf.js loaded): the second is the reference.
    measures.firstJourneyMs = Math.round(await journey());
    measures.idleJourneyMs = Math.round(await journey());
  }, 180_000);

  it('the public form refuses every hostile file, field and body with a clear 4xx, in seconds, and takes the ones it can type', async () => {
    // Built before the watch starts: making an 80 MB bomb would stall this process, not ai-worker.
    const refused: [string, Buffer, number][] = [
      ['crafted.asf', hostile.asf(), 415],
      ['x.svg', hostile.svg(), 415],
      ['page.txt', hostile.htmlWithBom(), 415],
      ['data.xml', hostile.xml(), 415],
      ['both.pdf', hostile.polyglotHtmlPdf(), 415],
      ['long.txt', hostile.textThenBinary(), 415],
      ['cut.txt', hostile.textCutMidCharacter(), 415],
      ['broken.docx', hostile.brokenZip(), 415],
      ['tool.pdf', fixtures.executable(), 415],
    ];
    const taken: [string, Buffer, string][] = [
      ['bomb.docx', hostile.docxBomb(), DOCX],
      ['liar.docx', hostile.docxBombLyingSizes(), DOCX],
      ['huge-stream.pdf', hostile.pdfHugeContentStream(), 'application/pdf'],
      ['huge-text.pdf', hostile.pdfHugeText(), 'application/pdf'],
      ['polyglot.pdf', hostile.polyglotPdf(), 'application/pdf'],
      ['photo.docx', hostile.jpegThenZip(), 'image/jpeg'],
    ];
    watch.start();

    for (const [name, content, status] of refused) {
      const res = await post(form(lead(), [{ name, content }]));
      expect({ name, status: res.status, message: res.body.message }).toEqual({ name, status, message: expect.stringContaining(`Attachment "${name}"`) });
      expect(res.ms).toBeLessThan(ANSWER_BOUND_MS);
    }
    for (const [name, content, contentType] of taken) {
      const res = await post(form(lead(`A lead with ${name} attached.`), [{ name, content }]));
      expect({ name, status: res.status }).toEqual({ name, status: 202 });
      expect(res.ms).toBeLessThan(ANSWER_BOUND_MS);
      const view = (await (await fetch(`${apps.submission.url}/api/submissions/${res.body.id}`, { headers: operator })).json()) as any;
      expect(view.attachments).toEqual([expect.objectContaining({ fileName: name, contentType })]);
      accepted.push({ id: res.body.id, what: name });
    }

    // NUL in every position of every field, of a field's name and of a file name: 400 naming it.
    for (const field of ['name', 'email', 'message']) {
      for (const value of withNul(lead()[field as 'name'])) {
        const res = await post(form({ ...lead(), [field]: value }));
        expect({ field, status: res.status, message: res.body.message }).toEqual({ field, status: 400, message: `Field "${field}" contains NUL (\\u0000)` });
      }
    }
    const boundary = 'hostileBOUNDARY';
    const raw = (disposition: string, content = 'x') =>
      post(`--${boundary}\r\nContent-Disposition: ${disposition}\r\nContent-Type: text/plain\r\n\r\n${content}\r\n--${boundary}--\r\n`, { 'content-type': `multipart/form-data; boundary=${boundary}` });
    for (const fileName of ["a%00b.txt", "%00ab.txt", "ab.txt%00"]) {
      const res = await raw(`form-data; name="attachments"; filename*=UTF-8''${fileName}`, 'hello');
      expect({ fileName, status: res.status, message: res.body.message }).toEqual({ fileName, status: 400, message: expect.stringMatching(/^File name ".*" in "attachments" contains NUL/) });
    }
    expect((await raw('form-data; name="mes\u0000sage"')).status).toBe(400);

    // Backtracking texts as the message and as text attachments (issue 8: 23 s in extract).
    const texts = Object.entries(backtrackingTexts(20_000));
    for (let i = 0; i < texts.length; i += 5) {
      const batch = texts.slice(i, i + 5);
      const message = batch[0][1].slice(0, 10_000).replace(/[\ud800-\udbff]$/, '');
      const res = await post(form(lead(message), batch.map(([family, text]) => ({ name: `${family}.txt`, content: Buffer.from(text) }))));
      expect({ families: batch.map(([f]) => f), status: res.status, message: res.body.message }).toMatchObject({ status: 202 });
      accepted.push({ id: res.body.id, what: batch.map(([f]) => f).join(',') });
    }
  }, 180_000);

  it('a JSON body nested thousands of levels deep is a 400 on every route that takes one, not a 500', async () => {
    const deep = '{"a":'.repeat(5000) + '1' + '}'.repeat(5000);
    const routes: [AppName, string][] = [
      ['submission', '/api/submissions'],
      ['ai-orchestrator', '/api/workflows'],
      ['ai-worker', '/api/analyze'],
      ['notification', '/api/notifications'],
      ['notification', '/api/notifications/6b0d3c1e-8d1f-4a57-9a4b-0f1e2d3c4b5a/complete'],
    ];
    for (const [app, path] of routes) {
      const res = await fetch(`${apps[app].url}${path}`, { method: 'POST', headers: { ...operator, 'content-type': 'application/json' }, body: deep });
      const body = (await res.json()) as any;
      expect({ path, status: res.status, message: body.message }).toEqual({ path, status: 400, message: expect.stringContaining('nested deeper than 32 levels') });
    }
  });

  it('oversized headers and path parameters are refused at the edge', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${apps.submission.url}/api/submissions/x`, { headers: { 'x-filler': 'a'.repeat(20_000) } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(431);
    const long = await fetch(`${apps.submission.url}/api/submissions/${'a'.repeat(5000)}`);
    expect([400, 404, 414]).toContain(long.status);
  });

  it('POST /api/analyze answers every backtracking, mixed-script and long-word text of 50,000 characters in seconds', async () => {
    for (const [family, text] of Object.entries(backtrackingTexts(50_000))) {
      const started = performance.now();
      const res = await fetch(`${apps['ai-worker'].url}/api/analyze`, {
        method: 'POST',
        headers: { ...operator, 'content-type': 'application/json' },
        body: JSON.stringify({ text, locale: 'en' }),
        signal: AbortSignal.timeout(30_000),
      });
      const ms = performance.now() - started;
      expect({ family, status: res.status }).toEqual({ family, status: 200 });
      expect({ family, fast: ms < ANSWER_BOUND_MS }).toEqual({ family, fast: true });
      measures[`analyzeMs.${family}`] = Math.round(ms);
    }
    // A NUL anywhere is a 400, never an analysis.
    for (const text of withNul('We need an app.')) {
      const res = await fetch(`${apps['ai-worker'].url}/api/analyze`, { method: 'POST', headers: { ...operator, 'content-type': 'application/json' }, body: JSON.stringify({ text }) });
      expect(res.status).toBe(400);
    }
  }, 300_000);

  it('every hostile lead the form took is analysed, bombs recorded as unreadable, and ai-worker stayed responsive and within its memory', async () => {
    const results = new Map<string, any>();
    await waitFor(
      async () => {
        for (const { id } of accepted) {
          if (results.has(id)) continue;
          const res = await fetch(`${apps['ai-orchestrator'].url}/api/workflows?submissionId=${id}`, { headers: operator });
          const [workflow] = (await res.json()) as any[];
          if (workflow && workflow.status !== 'running') results.set(id, workflow);
        }
        return results.size === accepted.length;
      },
      { timeoutMs: 120_000, intervalMs: 500, what: 'every hostile lead analysed' },
    );
    const unreadable = (what: string) => {
      const workflow = results.get(accepted.find((a) => a.what === what)!.id);
      expect({ what, status: workflow.status }).toEqual({ what, status: 'completed' });
      return (workflow.result.unreadableAttachments ?? []) as { fileName: string; reason: string }[];
    };
    expect(unreadable('bomb.docx')).toEqual([expect.objectContaining({ fileName: 'bomb.docx', reason: expect.stringMatching(/expands to|compression ratio/) })]);
    expect(unreadable('liar.docx')).toEqual([expect.objectContaining({ fileName: 'liar.docx', reason: expect.stringContaining('declared') })]);
    // Whichever limit ends it first: the kill timer, the heap limit, or the process's RSS growth (parser-thread.ts's messages).
    expect(unreadable('huge-stream.pdf')).toEqual([expect.objectContaining({ fileName: 'huge-stream.pdf', reason: expect.stringMatching(/^parsing (took longer than \d+ ms|needed more than \d+ MB of heap|grew the process by more than \d+ MB)$/) })]);
    expect(unreadable('huge-text.pdf')).toEqual([]);
    // Typed pdf by its head; whether pdf.js finds a document in it or records it unreadable, the lead is analysed.
    expect(unreadable('polyglot.pdf').length).toBeLessThanOrEqual(1);
    for (const [id, workflow] of results) expect({ id, status: workflow.status }).toEqual({ id, status: 'completed' });

    await watch.stop();
    const pid = workerPid(namespace);
    measures.workerPeakRssMb = mb(peakRssBytes(pid));
    measures.workerPeakSampledRssMb = mb(watch.peakSampledRss);
    measures.worstEventLoopDelayMs = Math.round(watch.worstLagSeconds * 1000);
    measures.worstHealthMs = Math.round(watch.worstHealthMs);
    measures.healthSamples = watch.samples.filter((s) => s.healthMs >= 0).length;
    measures.healthSamplesOver1s = watch.samples.filter((s) => s.healthMs >= HEALTH_BOUND_MS).length;
    measures.metricsScrapes = watch.metricsScrapes;
    measures.lagSamples = watch.lagSamples.length;
    // The bounds hold over samples that exist: health answers and event-loop delays from (nearly) every scrape.
    expect(measures.healthSamples).toBeGreaterThanOrEqual(20);
    expect(watch.lagSamples.length).toBeGreaterThanOrEqual(Math.max(10, Math.floor(watch.metricsScrapes * 0.9)));
    expect(watch.lagSamples.every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
    expect(watch.lagSamples.some((v) => v > 0)).toBe(true);
    expect(measures.worstHealthMs).toBeLessThan(HEALTH_BOUND_MS);
    expect(measures.worstEventLoopDelayMs).toBeLessThan(LAG_BOUND_MS);
    expect(measures.workerPeakRssMb).toBeLessThan(RSS_BOUND_MB);
  }, 180_000);

  it('the next ordinary lead still goes through the whole journey, about as fast as on the idle platform', async () => {
    measures.afterCorpusJourneyMs = Math.round(await journey());
    // Nothing of the corpus is left holding a core, a queue or a parse: within 3× the idle journey (or 2 s more).
    const idle = Number(measures.idleJourneyMs);
    expect(measures.afterCorpusJourneyMs).toBeLessThan(Math.max(3 * idle, idle + 2000));
  }, 120_000);
});
