/**
 * `npm run demo`: against the platform `npm start` runs, submits a sample request and
 * prints each step of its journey with timings as it happens. Exits 1 if a step does
 * not arrive in time.
 */
import amqp from 'amqplib';
import { readEnvSource } from '@statex/config';
import { topologyFor } from '@statex/messaging';

const env = readEnvSource();
const submissionUrl = env.DEMO_SUBMISSION_URL || `http://localhost:${env.SUBMISSION_PORT || 8002}`;
const mailUrl = env.DEMO_MAILCATCHER_URL || `http://localhost:${env.MAILDEV_WEB_PORT || 8025}`;
const stepTimeoutMs = Number(env.DEMO_STEP_TIMEOUT_MS || 30_000);
const started = Date.now();

const elapsed = () => `${String(Date.now() - started).padStart(6)} ms`;
const step = (text: string) => console.log(`  ${elapsed()}  ✓ ${text}`);

function fail(text: string): never {
  console.error(`  ${elapsed()}  ✗ ${text}`);
  process.exit(1);
}

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + stepTimeoutMs;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
  return fail(`${what} did not happen within ${stepTimeoutMs / 1000}s`);
}

async function main(): Promise<void> {
  console.log(`StateX demo: a contact form, followed through the platform at ${submissionUrl}\n`);
  const ready = await fetch(`${submissionUrl}/health/ready`).catch(() => undefined);
  if (!ready || ready.status !== 200) fail(`the submission service is not ready at ${submissionUrl}: start the platform with \`npm start\``);

  // Watch the event exchange like any other consumer would.
  const events: { key: string; correlationId?: string; at: number }[] = [];
  const connection = await amqp.connect(env.RABBITMQ_URL || 'amqp://guest:guest@127.0.0.1:5672');
  const channel = await connection.createChannel();
  const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
  await channel.bindQueue(queue, topologyFor(env.RABBITMQ_NAMESPACE || 'statex', 'demo').exchange, '#');
  await channel.consume(queue, (msg) => msg && events.push({ key: msg.fields.routingKey, correlationId: msg.properties.correlationId, at: Date.now() }), { noAck: true });

  const form = new FormData();
  form.set('name', 'Demo Lead');
  form.set('email', 'demo.lead@example.com');
  form.set('company', 'Demo s.r.o.');
  form.set('message', 'Hello StateX, we need an online shop with card payments and an integration with our warehouse system.');
  form.set('attachments', new Blob(['Requirements:\n- catalogue of 500 products\n- card payments\n- stock sync every hour\n'], { type: 'text/plain' }), 'requirements.txt');
  const res = await fetch(`${submissionUrl}/api/submissions`, { method: 'POST', body: form });
  if (res.status !== 202) fail(`POST /api/submissions answered ${res.status}: ${await res.text()}`);
  const accepted = (await res.json()) as { id: string; statusUrl: string };
  step(`received      202 ${accepted.id}`);
  console.log(`                   status: ${accepted.statusUrl}`);

  await until('request.created', async () => events.find((e) => e.key === 'request.created' && e.correlationId === accepted.id));
  step('event         request.created published on statex.events');

  type Mail = { subject: string; to: { address: string }[] };
  const inbox = async () => (await (await fetch(`${mailUrl}/email`)).json()) as Mail[];
  const mail = await until('the acknowledgement email', async () => (await inbox()).find((m) => m.subject.includes(accepted.id) && m.subject.startsWith('We received')));
  step(`email         "${mail.subject}" to ${mail.to[0]?.address} (seen in the mail catcher, ${mailUrl})`);

  await until('notification.sent', async () => events.find((e) => e.key === 'notification.sent' && e.correlationId === accepted.id));
  step('event         notification.sent');

  type View = { status: string; timeline: { status: string }[]; analysis?: { category: string; confidence: number; summary: string } };
  const view = async () => (await (await fetch(accepted.statusUrl)).json()) as View;
  await until('status acknowledged', async () => ((await view()).timeline.some((t) => t.status === 'acknowledged') ? true : undefined));
  step('status        acknowledged');

  await until('ai.analysis.started', async () => events.find((e) => e.key === 'ai.analysis.started' && e.correlationId === accepted.id));
  step('event         ai.analysis.started (extract, classify, summarize in parallel, then propose)');

  await until('ai.analysis.completed', async () => events.find((e) => e.key === 'ai.analysis.completed' && e.correlationId === accepted.id));
  const analyzed = await until('status analyzed', async () => {
    const body = await view();
    return body.analysis && body.timeline.some((t) => t.status === 'analyzed') ? body : undefined;
  });
  step(`event         ai.analysis.completed: ${analyzed.analysis?.category} (${Math.round((analyzed.analysis?.confidence ?? 0) * 100)}%)`);

  const results = await until('the results message', async () => (await inbox()).find((m) => m.subject.includes(accepted.id) && !m.subject.startsWith('We received')));
  step(`email         "${results.subject}"`);
  const answered = await until('status answered', async () => {
    const body = await view();
    return body.status === 'answered' ? body : undefined;
  });
  step(`status        answered (timeline: ${answered.timeline.map((t) => t.status).join(' → ')})`);

  console.log(`\nJourney complete in ${Date.now() - started} ms.`);
  await connection.close();
}

main().catch((error: Error) => fail(error.message));
