/**
 * The reference for `npm run bench:intake`: raw Fastify and pg doing the same durable work as
 * `POST /api/submissions` (JSON): validate the body (Fastify's JSON schema), then in one transaction
 * insert the submission, its first timeline entry and its `request.created` outbox row, and notify
 * the relay. Nothing else: no framework, no ORM, no logging. It writes into the submission
 * service's own database (its tables, made by its migrations), so both do the same inserts.
 * Run by the benchmark: node dist/bench/reference/intake-reference.js <port> <database>
 */
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { Pool } from 'pg';

const port = Number(process.argv[2]);
const database = process.argv[3];
const pool = new Pool({ host: process.env.POSTGRES_HOST ?? '127.0.0.1', port: Number(process.env.POSTGRES_PORT ?? 5432), user: process.env.POSTGRES_USER ?? 'postgres', password: process.env.POSTGRES_PASSWORD ?? '', database, max: 10 });

const schema = {
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'email', 'message'],
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 200 },
      email: { type: 'string', format: 'email', maxLength: 254 },
      message: { type: 'string', minLength: 1, maxLength: 10000 },
      phone: { type: 'string', pattern: '^\\+[1-9]\\d{6,14}$' },
      company: { type: 'string', maxLength: 200 },
      contactChannel: { enum: ['email', 'telegram', 'whatsapp', 'linkedin'] },
      locale: { enum: ['en', 'cs'] },
    },
  },
};

type Body = { name: string; email: string; message: string; phone?: string; company?: string; contactChannel?: string; locale?: string };

const app = Fastify({ logger: false });
app.post<{ Body: Body }>('/api/submissions', { schema }, async (request, reply) => {
  const b = request.body;
  const id = randomUUID();
  const now = new Date();
  const statusUrl = `http://127.0.0.1:${port}/api/submissions/${id}`;
  const event = { submissionId: id, name: b.name, email: b.email, phone: b.phone, company: b.company, message: b.message, contactChannel: b.contactChannel ?? 'email', locale: b.locale ?? 'en', attachments: [], statusUrl, createdAt: now.toISOString() };
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO submissions (id, name, email, phone, company, message, contact_channel, locale, status, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,'received',$9,$9)`,
      [id, b.name, b.email, b.phone ?? null, b.company ?? null, b.message, b.contactChannel ?? 'email', b.locale ?? 'en', now],
    );
    await client.query(`INSERT INTO submission_status_changes (submission_id, status, at) VALUES ($1, 'received', $2)`, [id, now]);
    await client.query(`INSERT INTO outbox_messages (id, routing_key, payload, correlation_id) VALUES ($1, 'request.created', $2, $3)`, [randomUUID(), JSON.stringify(event), id]);
    await client.query(`SELECT pg_notify('statex_outbox', 'request.created')`);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
  return reply.status(202).send({ id, status: 'received', statusUrl });
});

void app.listen({ port, host: '127.0.0.1' }).then(() => process.send?.('ready'));
process.on('SIGTERM', () => void app.close().then(() => pool.end()).then(() => process.exit(0)));
