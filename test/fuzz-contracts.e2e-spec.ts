import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import fc from 'fast-check';
import request from 'supertest';
import { ACCESS_EXTENSION, type AccessRule } from '@statex/auth';
import type { BaseEnv } from '@statex/config';
import type { Role } from '@statex/contracts';
import type { ServiceDefinition } from '@statex/runtime';
import { AuthStandIn, BrokerProbe, removeTestNamespace, queryDatabase, ServiceUnderTest, SmtpStandIn, startServiceForTest, testEnv, uniqueNamespace } from '@statex/testing';
import { aiOrchestratorService } from '../apps/ai-orchestrator/src/ai-orchestrator.app';
import { AiOrchestratorEnv } from '../apps/ai-orchestrator/src/ai-orchestrator.env';
import { aiWorkerService } from '../apps/ai-worker/src/ai-worker.app';
import { AiWorkerEnv } from '../apps/ai-worker/src/ai-worker.env';
import { contentService } from '../apps/content/src/content.app';
import { ContentEnv } from '../apps/content/src/content.env';
import { loggingService } from '../apps/logging/src/logging.app';
import { LoggingEnv } from '../apps/logging/src/logging.env';
import { notificationService } from '../apps/notification/src/notification.app';
import { NotificationEnv } from '../apps/notification/src/notification.env';
import { submissionService } from '../apps/submission/src/submission.app';
import { SubmissionEnv } from '../apps/submission/src/submission.env';
import { hostile } from './fixtures/hostile/corpus';
import { userPortalService } from '../apps/user-portal/src/user-portal.app';
import { UserPortalEnv } from '../apps/user-portal/src/user-portal.env';

/**
 * Every operation of every service, fuzzed from the service's own OpenAPI document: requests made
 * valid from the schemas (fast-check, seeded), then each field made wrong in turn (path, query and
 * header parameters, JSON and multipart bodies, file names and file contents), then bodies that are
 * wrong as a whole. Each is sent without a token and with a token holding a role the operation
 * needs, as its `x-statex-access` extension says (rotating through the roles it allows), so the
 * guard is not the only thing answering. It passes when no answer is a 5xx, every status is one the
 * document declares, every JSON body matches the schema declared for its status, and every service
 * is still ready afterwards. FUZZ_SEED and FUZZ_RUNS change the run; FUZZ_DEBUG=1 prints each
 * multipart form and header value that was not refused.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261128);
const RUNS = Number(process.env.FUZZ_RUNS ?? 3);
const ADMIN = { email: 'admin@fuzz.test', password: 'Fuzz-admin-password-42' };
const PASSWORD = 'Fuzz-user-password-42';

type Schema = {
  $ref?: string;
  type?: string;
  format?: string;
  enum?: unknown[];
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  example?: unknown;
  additionalProperties?: boolean | Schema;
};
type Parameter = { name: string; in: 'path' | 'query' | 'header'; required?: boolean; schema?: Schema };
type Operation = {
  [ACCESS_EXTENSION]?: AccessRule;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema?: Schema }> };
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
};
type Spec = { paths: Record<string, Record<string, Operation>>; components?: { schemas?: Record<string, Schema> } };

interface Attempt {
  method: string;
  path: string;
  query: Record<string, unknown>;
  headers?: Record<string, string>;
  body?: unknown;
  raw?: { contentType: string; text: string | Buffer };
  what: string;
}

const NASTY_STRINGS = ['', 'a\u0000b', 'one\r\nBcc: all@example.com', '\u0000', '\uD800', '\u202Eevil\u202C', '𝕏'.repeat(500), 'x'.repeat(20_000), ' ', '<script>alert(1)</script>', "'; DROP TABLE users; --", '../../etc/passwd', '%00', '{{constructor}}'];
const NASTY_VALUES: unknown[] = [null, 123, -1, 1e308, -1e308, 0.5, true, [], ['x'], {}, { $gt: '' }, nest(60)];

function nest(depth: number): unknown {
  let value: unknown = 'deep';
  for (let i = 0; i < depth; i += 1) value = { a: value };
  return value;
}

function deref(spec: Spec, schema: Schema | undefined): Schema {
  let s = schema ?? {};
  for (let hops = 0; s.$ref && hops < 10; hops += 1) s = spec.components?.schemas?.[s.$ref.replace('#/components/schemas/', '')] ?? {};
  if (s.allOf) {
    const parts = s.allOf.map((p) => deref(spec, p));
    return { ...s, allOf: undefined, type: 'object', properties: Object.assign({}, ...parts.map((p) => p.properties ?? {}), s.properties), required: parts.flatMap((p) => p.required ?? []).concat(s.required ?? []) };
  }
  return s;
}

/** A fast-check arbitrary of values valid for the schema (as far as a schema can say). */
function valid(spec: Spec, schema: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
  const s = deref(spec, schema);
  const alternatives = s.oneOf ?? s.anyOf;
  if (alternatives) return fc.oneof(...alternatives.map((a) => valid(spec, a, depth + 1)));
  if (s.enum) return fc.constantFrom(...s.enum);
  const generated = ((): fc.Arbitrary<unknown> => {
    switch (s.type) {
      case 'string':
        if (s.format === 'uuid') return fc.uuid();
        if (s.format === 'email') return fc.constantFrom('jana@example.com', 'petr.svoboda@example.org');
        if (s.format === 'date-time') return fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
        if (s.format === 'binary') return fc.constant('file');
        return fc.string({ minLength: Math.min(s.minLength ?? 1, 50), maxLength: Math.min(s.maxLength ?? 40, 40) });
      case 'integer':
        return fc.integer({ min: s.minimum ?? 0, max: Math.min(s.maximum ?? 1000, 1_000_000) });
      case 'number':
        return fc.double({ min: s.minimum ?? 0, max: s.maximum ?? 1000, noNaN: true, noDefaultInfinity: true });
      case 'boolean':
        return fc.boolean();
      case 'array':
        return depth > 4 ? fc.constant([]) : fc.array(valid(spec, s.items, depth + 1), { maxLength: 3 });
      default: {
        if (depth > 4) return fc.constant({});
        const properties = s.properties ?? {};
        if (Object.keys(properties).length === 0) return fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 });
        const record: Record<string, fc.Arbitrary<unknown>> = {};
        for (const [key, value] of Object.entries(properties)) record[key] = valid(spec, value, depth + 1);
        return fc.record(record, { requiredKeys: (s.required ?? []).filter((k) => k in properties) });
      }
    }
  })();
  // Examples are the document's own idea of a good value: half the time, take it.
  return s.example !== undefined ? fc.oneof(fc.constant(s.example), generated) : generated;
}

/** The document's own example of a valid value: examples where given, required fields otherwise. */
function example(spec: Spec, schema: Schema | undefined, depth = 0): unknown {
  const s = deref(spec, schema);
  if (s.example !== undefined) return s.example;
  if (s.enum) return s.enum[0];
  const alternatives = s.oneOf ?? s.anyOf;
  if (alternatives) return example(spec, alternatives[0], depth + 1);
  switch (s.type) {
    case 'string':
      if (s.format === 'uuid') return '6b0d5f1e-8a43-4c55-9a2e-1f0c2d3e4b5a';
      if (s.format === 'email') return 'jana@example.com';
      if (s.format === 'date-time') return new Date(Date.now() + 86_400_000).toISOString();
      return 'sample';
    case 'integer':
    case 'number':
      return s.minimum ?? 1;
    case 'boolean':
      return true;
    case 'array':
      return [];
    default: {
      if (depth > 4) return {};
      const out: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(s.properties ?? {})) {
        const resolved = deref(spec, value);
        if ((s.required ?? []).includes(key) || resolved.example !== undefined) out[key] = example(spec, value, depth + 1);
      }
      return out;
    }
  }
}

function sample<T>(arbitrary: fc.Arbitrary<T>, seed: number): T[] {
  return fc.sample(arbitrary, { seed, numRuns: RUNS });
}

/** Header values a client can put on the wire (Node refuses NUL and other controls) that are still wrong. */
const NASTY_HEADERS = ['', ' ', 'x'.repeat(256), 'x'.repeat(8000), 'caf\u00e9', 'a\tb', '${jndi:ldap://x/a}', "'; DROP TABLE users; --", '../../etc/passwd', '\u00ff'.repeat(300)];

const isBinary = (s: Schema) => s.type === 'string' && s.format === 'binary';

interface Part {
  name: string;
  value?: string;
  file?: { filename?: string; filenameStar?: string; contentType?: string; data: Buffer };
  /** Part headers written as given, instead of the ones the part would have. */
  rawHeaders?: string;
}

/** A multipart/form-data body written byte by byte, so that it can be wrong in any way. */
function multipart(parts: Part[], boundary: string, { close = true } = {}): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    let headers = part.rawHeaders;
    if (headers === undefined) {
      headers = `Content-Disposition: form-data; name="${part.name}"`;
      if (part.file?.filename !== undefined) headers += `; filename="${part.file.filename}"`;
      if (part.file?.filenameStar !== undefined) headers += `; filename*=UTF-8''${part.file.filenameStar}`;
      if (part.file) headers += `\r\nContent-Type: ${part.file.contentType ?? 'application/octet-stream'}`;
    }
    chunks.push(Buffer.from(`--${boundary}\r\n${headers}\r\n\r\n`), part.file ? part.file.data : Buffer.from(part.value ?? ''), Buffer.from('\r\n'));
  }
  if (close) chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

/**
 * Multipart attempts for an operation that takes multipart/form-data: a valid form from the schema
 * (text fields from the document's examples, a small text file in each file field), then each text
 * field missing, duplicated and wrong, each file field with hostile names, contents and counts, and
 * forms that are broken as a whole.
 */
function multipartAttempts(spec: Spec, method: string, base: { url: string; query: Record<string, unknown> }, schema: Schema | undefined, seed: number): Attempt[] {
  const s = deref(spec, schema);
  const properties = s.properties ?? {};
  const fileFields = Object.keys(properties).filter((k) => {
    const p = deref(spec, properties[k]);
    return isBinary(p) || (p.type === 'array' && isBinary(deref(spec, p.items)));
  });
  const manyFiles = (k: string) => deref(spec, properties[k]).type === 'array';
  const textFields = Object.keys(properties).filter((k) => !fileFields.includes(k));
  const textSchema: Schema = { ...s, properties: Object.fromEntries(textFields.map((k) => [k, properties[k]])) };
  const asText = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
  const textParts = (values: unknown): Part[] => Object.entries((values ?? {}) as Record<string, unknown>).map(([name, v]) => ({ name, value: asText(v) }));
  const goodText = textParts(example(spec, textSchema));
  const goodFile = (name: string, file: Partial<NonNullable<Part['file']>> = {}): Part => ({ name, file: { filename: 'note.txt', contentType: 'text/plain', data: Buffer.from('A plain note about the project.\n'), ...file } });
  const goodFiles = fileFields.map((k) => goodFile(k));
  const boundary = `fuzz${seed}boundary`;
  const out: Attempt[] = [];
  const form = (parts: Part[], what: string, { close = true, contentType = `multipart/form-data; boundary=${boundary}` } = {}) =>
    out.push({ method, path: base.url, query: base.query, raw: { contentType, text: multipart(parts, boundary, { close }) }, what: `multipart: ${what}` });

  form([...goodText, ...goodFiles], 'valid from the schema');
  if (fileFields.every((k) => !(s.required ?? []).includes(k))) form(goodText, 'valid, without files');
  for (const values of sample(valid(spec, textSchema), seed)) form([...textParts(values), ...goodFiles], 'generated from the schema');
  for (const field of textFields) {
    const others = goodText.filter((p) => p.name !== field);
    form([...others, ...goodFiles], `without ${field}`);
    form([...goodText, { name: field, value: 'again' }, ...goodFiles], `${field} twice`);
    for (const bad of [...NASTY_STRINGS, 'a\u0001b']) form([...others, { name: field, value: bad }, ...goodFiles], `${field}=${JSON.stringify(bad).slice(0, 30)}`);
  }
  for (const field of fileFields) {
    const others = [...goodText, ...goodFiles.filter((p) => p.name !== field)];
    const names: Array<[string, Partial<NonNullable<Part['file']>>]> = [
      ['NUL in filename*', { filename: undefined, filenameStar: 'a%00b.txt' }],
      ['control character in the name', { filename: 'a\u0001b.txt' }],
      ['path traversal', { filename: '../../etc/passwd' }],
      ['1,000-character name', { filename: `${'n'.repeat(1000)}.txt` }],
      ['right-to-left override', { filename: '\u202Etxt.exe' }],
      ['empty name', { filename: '' }],
      ['no name', { filename: undefined }],
      ['invalid percent-encoding', { filename: undefined, filenameStar: '%E0%A4%A.txt' }],
    ];
    for (const [what, file] of names) form([...others, goodFile(field, file)], `${field} ${what}`);
    const contents: Array<[string, Buffer, string]> = [
      ['empty file', Buffer.alloc(0), 'text/plain'],
      ['HTML sent as text', hostile.htmlWithBom(), 'text/plain'],
      ['SVG with script', hostile.svg(), 'image/svg+xml'],
      ['invalid UTF-8', Buffer.from([0x48, 0x69, 0xff, 0xfe, 0xc5]), 'text/plain'],
      ['the ASF that hangs old file-type', hostile.asf(), 'video/x-ms-asf'],
      ['a broken zip named docx', hostile.brokenZip(), 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
      ['an HTML/PDF polyglot', hostile.polyglotHtmlPdf(), 'application/pdf'],
      ['random bytes said to be PNG', Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7919 + seed) % 256)), 'image/png'],
    ];
    for (const [what, data, contentType] of contents) form([...others, goodFile(field, { data, contentType, filename: `f.${contentType.split('/')[1].slice(0, 4)}` })], `${field}: ${what}`);
    form([...others, ...Array.from({ length: manyFiles(field) ? 6 : 2 }, () => goodFile(field))], `${field}: too many files`);
  }
  form([...goodText, ...goodFiles, goodFile('unexpected')], 'a file in an unknown field');
  form([...goodText, ...goodFiles, { name: 'unexpected', value: 'field' }], 'an unknown text field');
  form([...goodText, { name: 'a\u0000b', value: 'x' }, ...goodFiles], 'NUL in a field name');
  form([...goodText, ...goodFiles], 'no closing boundary', { close: false });
  form([...goodText, ...goodFiles], 'no boundary in the content type', { contentType: 'multipart/form-data' });
  form([...goodText, ...goodFiles], 'a boundary the body does not use', { contentType: 'multipart/form-data; boundary=other' });
  form([...goodText, { name: 'x', rawHeaders: 'Content-Type: text/plain' }, ...goodFiles], 'a part without Content-Disposition');
  form([...goodText, { name: 'x', rawHeaders: `Content-Disposition: form-data; name="x"; ${'p=q; '.repeat(2000)}` }, ...goodFiles], 'a 10 KB part header');
  form([], 'an empty form');
  const whole = multipart([...goodText, ...goodFiles], boundary);
  out.push({ method, path: base.url, query: base.query, raw: { contentType: `multipart/form-data; boundary=${boundary}`, text: whole.subarray(0, Math.floor(whole.length / 2)) }, what: 'multipart: cut off halfway' });
  return out;
}

/** Every attempt for one operation: valid ones, each field wrong in turn, wrong bodies as a whole. */
function attempts(spec: Spec, method: string, path: string, op: Operation, seed: number): Attempt[] {
  const params = op.parameters ?? [];
  const pathParams = params.filter((p) => p.in === 'path');
  const queryParams = params.filter((p) => p.in === 'query');
  const headerParams = params.filter((p) => p.in === 'header');
  const fill = (p: Parameter, s: number) => sample(valid(spec, p.schema), s)[0];
  // Header values from the schema, kept to what may travel in a header (visible ASCII).
  const fillHeader = (p: Parameter, s: number) => String(fill(p, s) ?? '').replace(/[^\x21-\x7e]/g, '') || `fuzz-${s}`;
  const build = (s: number, overrides: { path?: Record<string, unknown>; query?: Record<string, unknown> } = {}) => {
    let url = path;
    for (const p of pathParams) url = url.replace(`{${p.name}}`, encodeURIComponent(String(overrides.path?.[p.name] ?? fill(p, s))));
    const query: Record<string, unknown> = {};
    for (const p of queryParams) if (p.required || s % 2 === 0) query[p.name] = fill(p, s + 1);
    const headers: Record<string, string> = {};
    for (const p of headerParams) if (p.required || s % 2 === 0) headers[p.name] = fillHeader(p, s + 2);
    return { url, query: { ...query, ...overrides.query }, headers };
  };
  const jsonBody = op.requestBody?.content['application/json']?.schema;
  const bodies = jsonBody ? [example(spec, jsonBody), ...sample(valid(spec, jsonBody), seed)] : [undefined];
  const out: Attempt[] = [];
  bodies.forEach((body, i) => {
    const { url, query, headers } = build(seed + i);
    out.push({ method, path: url, query, headers, body, what: 'valid from the schema' });
  });
  const base = build(seed);
  const validBody = bodies[0];
  // Each header parameter: absent, then each value wrong in turn.
  for (const p of headerParams) {
    out.push({ method, path: base.url, query: base.query, body: validBody, what: `header ${p.name} absent` });
    for (const bad of NASTY_HEADERS) out.push({ method, path: base.url, query: base.query, headers: { [p.name]: bad }, body: validBody, what: `header ${p.name}=${JSON.stringify(bad).slice(0, 30)}` });
  }
  const multipartBody = op.requestBody?.content['multipart/form-data'];
  if (multipartBody) out.push(...multipartAttempts(spec, method, base, multipartBody.schema, seed));
  // Each path parameter, then each query parameter, made wrong.
  for (const p of pathParams) for (const bad of ['x', '0', '-1', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '%00', 'a'.repeat(300), '..']) out.push({ method, ...build(seed, { path: { [p.name]: bad } }), path: build(seed, { path: { [p.name]: bad } }).url, body: validBody, what: `path ${p.name}=${bad.slice(0, 20)}` });
  for (const p of queryParams) for (const bad of [...NASTY_STRINGS.slice(0, 8), '-1', '1e999', '99999999999999999999']) out.push({ method, path: base.url, query: { ...base.query, [p.name]: bad }, body: validBody, what: `query ${p.name}=${JSON.stringify(bad).slice(0, 30)}` });
  if (jsonBody && validBody && typeof validBody === 'object' && !Array.isArray(validBody)) {
    const keys = Object.keys(deref(spec, jsonBody).properties ?? {});
    for (const key of keys) {
      const { [key]: _dropped, ...without } = validBody as Record<string, unknown>;
      out.push({ method, path: base.url, query: base.query, body: without, what: `body without ${key}` });
      for (const bad of [...NASTY_STRINGS, ...NASTY_VALUES]) out.push({ method, path: base.url, query: base.query, body: { ...validBody, [key]: bad }, what: `body ${key}=${JSON.stringify(bad)?.slice(0, 30)}` });
    }
    out.push({ method, path: base.url, query: base.query, body: { ...validBody, unexpected: 'field' }, what: 'body with an unknown field' });
  }
  if (op.requestBody || ['post', 'put', 'patch'].includes(method)) {
    const text = JSON.stringify(validBody ?? {});
    out.push({ method, path: base.url, query: base.query, raw: { contentType: 'application/json', text: text.slice(0, Math.max(1, text.length - 3)) }, what: 'truncated JSON' });
    out.push({ method, path: base.url, query: base.query, raw: { contentType: 'application/json', text: `${'['.repeat(5000)}${']'.repeat(5000)}` }, what: 'JSON nested 5000 deep (arrays)' });
    out.push({ method, path: base.url, query: base.query, raw: { contentType: 'application/json', text: `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}` }, what: 'JSON nested 5000 deep (objects)' });
    out.push({ method, path: base.url, query: base.query, raw: { contentType: 'text/plain', text }, what: 'wrong content type' });
    out.push({ method, path: base.url, query: base.query, raw: { contentType: 'application/json', text: 'null' }, what: 'null body' });
    out.push({ method, path: base.url, query: base.query, raw: { contentType: 'application/json', text: '[1,2,3]' }, what: 'array body' });
    out.push({ method, path: base.url, query: base.query, raw: { contentType: 'application/json', text: '"\\ud800"' }, what: 'lone surrogate body' });
  }
  return out;
}

/** Rewrites the document's local $refs so ajv can resolve them against the document itself. */
function withDocRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withDocRefs);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `doc.json${v}` : withDocRefs(v)]));
  }
  return value;
}

interface Fuzzed {
  definition: ServiceDefinition<BaseEnv>;
  service?: ServiceUnderTest;
}

describe('every operation of every service, fuzzed from its OpenAPI document (seeded fast-check)', () => {
  const namespace = uniqueNamespace('fz');
  const auth = new AuthStandIn();
  const smtp = new SmtpStandIn();
  const targets: Record<string, Fuzzed & { schema: new () => BaseEnv; overrides?: Record<string, string | number> }> = {
    submission: { definition: submissionService as never, schema: SubmissionEnv, overrides: { STORAGE_LOCAL_DIR: mkdtempSync(join(tmpdir(), 'statex-fuzz-')) } },
    'ai-orchestrator': { definition: aiOrchestratorService as never, schema: AiOrchestratorEnv },
    'ai-worker': { definition: aiWorkerService as never, schema: AiWorkerEnv },
    notification: { definition: notificationService as never, schema: NotificationEnv },
    'user-portal': { definition: userPortalService as never, schema: UserPortalEnv, overrides: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, AUTH_RATE_LIMIT_IP_PER_WINDOW: 1_000_000, AUTH_RATE_LIMIT_ACCOUNT_PER_WINDOW: 1_000_000 } },
    logging: { definition: loggingService as never, schema: LoggingEnv },
    content: { definition: contentService as never, schema: ContentEnv },
  };
  /** A token for each role: minted by the stand-in for the services that trust it, issued by user-portal for itself. */
  const standInTokens = new Map<Role, string>();
  const portalTokens = new Map<Role, string>();

  /** A user-portal account with this role, verified, signed in (registered through the API; role and verification set in its database). */
  const portalAccount = async (role: Role): Promise<string> => {
    const http = targets['user-portal'].service!.http;
    const email = `${role}@fuzz.test`;
    await http.post('/api/auth/register').send({ email, password: PASSWORD, name: `Fuzz ${role}`, locale: 'en' }).expect(202);
    await queryDatabase(`${namespace}_user_portal`, 'UPDATE users SET role = $2, email_verified_at = now() WHERE email = $1', [email, role]);
    return (await http.post('/api/auth/login').send({ email, password: PASSWORD }).expect(200)).body.accessToken as string;
  };

  beforeAll(async () => {
    await Promise.all([auth.start(), smtp.start()]);
    for (const role of ['admin', 'operator', 'client', 'service'] as Role[]) standInTokens.set(role, await auth.mint({ roles: [role], email: `${role}@fuzz.test`, expiresIn: 3600 }));
    for (const target of Object.values(targets)) {
      target.service = await startServiceForTest(target.definition, testEnv(target.schema, namespace, { ...auth.env, SMTP_PORT: smtp.port, ...target.overrides }));
    }
    portalTokens.set('admin', (await targets['user-portal'].service!.http.post('/api/auth/login').send(ADMIN).expect(200)).body.accessToken);
    for (const role of ['operator', 'client'] as Role[]) portalTokens.set(role, await portalAccount(role));
  }, 120_000);

  afterAll(async () => {
    for (const target of Object.values(targets)) await target.service?.app.close();
    await Promise.all([auth.stop(), smtp.stop()]);
    await removeTestNamespace(namespace);
    const probe = await new BrokerProbe(namespace).start();
    await probe.cleanup(Object.keys(targets));
    await probe.stop();
  });

  it.each(Object.keys(targets))('%s: no 5xx, only declared statuses, bodies match their declared schemas, still ready', async (name) => {
    const { service } = targets[name];
    const http = service!.http;
    const spec = (await http.get('/docs-json').expect(200)).body as Spec;
    const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: false });
    ajv.addSchema({ $id: 'doc.json', components: withDocRefs(spec.components ?? {}) });
    const validators = new Map<string, ValidateFunction>();
    const tokens = name === 'user-portal' ? portalTokens : standInTokens;
    const failures: string[] = [];
    let sent = 0;
    let operationIndex = 0;
    const statuses = new Map<number, number>();
    const byRole = new Map<string, number>();
    const byKind = new Map<string, number>();

    for (const [path, item] of Object.entries(spec.paths)) {
      for (const [method, op] of Object.entries(item)) {
        operationIndex += 1;
        // The roles that may call it (an operation that says nothing is for admins, as the guard
        // has it); a public or any-signed-in operation is tried with each role a token can carry.
        // Every route carries a decorator (a route without one is admin-only, and says nothing here).
        if (!op[ACCESS_EXTENSION]) failures.push(`${method.toUpperCase()} ${path}: no ${ACCESS_EXTENSION} in the document`);
        const rule = op[ACCESS_EXTENSION] ?? { kind: 'roles', roles: ['admin'] };
        const roles = (rule.kind === 'roles' ? rule.roles : ([...tokens.keys()] as Role[])).filter((r) => tokens.has(r));
        const headerNames = (op.parameters ?? []).filter((p) => p.in === 'header').map((p) => p.name.toLowerCase());
        if (new Set(headerNames).size !== headerNames.length) failures.push(`${method.toUpperCase()} ${path}: the document lists a header twice (${headerNames.join(', ')})`);
        if (roles.length === 0) failures.push(`${method.toUpperCase()} ${path}: no role this test can carry may call it (${JSON.stringify(rule)})`);
        let attemptIndex = 0;
        for (const attempt of attempts(spec, method, path, op, SEED + operationIndex * 1000)) {
          const role = roles[attemptIndex % Math.max(roles.length, 1)];
          attemptIndex += 1;
          for (const withToken of [false, true]) {
            let req = (http as unknown as Record<string, (url: string) => request.Test>)[method](attempt.path).query(attempt.query as Record<string, string>);
            if (withToken) {
              req = req.set('authorization', `Bearer ${tokens.get(role)}`);
              byRole.set(role, (byRole.get(role) ?? 0) + 1);
            }
            for (const [header, value] of Object.entries(attempt.headers ?? {})) req = req.set(header, value);
            if (attempt.raw) req = req.set('content-type', attempt.raw.contentType).send(attempt.raw.text);
            else if (attempt.body !== undefined) req = req.send(attempt.body as object);
            const res = await req;
            sent += 1;
            statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
            const kind = attempt.what.split(':')[0] === 'multipart' ? (/^multipart: (valid|generated)/.test(attempt.what) ? 'valid multipart' : 'wrong multipart') : attempt.what.startsWith('header ') ? 'wrong header' : undefined;
            if (process.env.FUZZ_DEBUG && kind && res.status < 300) console.log(name, withToken, attempt.what, res.status);
            if (kind) byKind.set(`${kind} ${res.status}`, (byKind.get(`${kind} ${res.status}`) ?? 0) + 1);
            const declared = op.responses[String(res.status)] ?? op.responses.default;
            const describe = () =>
              `${method.toUpperCase()} ${attempt.path} ${JSON.stringify(attempt.query)} (${attempt.what}, ${withToken ? `${role} token` : 'no token'}) headers=${JSON.stringify(attempt.headers ?? {}).slice(0, 100)} body=${JSON.stringify(Buffer.isBuffer(attempt.raw?.text) ? attempt.raw.text.toString('latin1') : (attempt.raw?.text ?? attempt.body))?.slice(0, 300)} → ${res.status} ${JSON.stringify(res.body)?.slice(0, 200)}`;
            if (res.status >= 500) failures.push(`5xx: ${describe()}`);
            else if (!declared) failures.push(`undeclared status: ${describe()}`);
            else if (/json/.test(String(res.headers['content-type']))) {
              const schema = declared.content?.['application/json']?.schema;
              if (schema) {
                const key = `${method} ${path} ${res.status}`;
                if (!validators.has(key)) validators.set(key, ajv.compile(withDocRefs(schema) as object));
                const validate = validators.get(key)!;
                if (!validate(res.body)) failures.push(`body off its schema (${ajv.errorsText(validate.errors)}): ${describe()}`);
              }
            }
          }
        }
      }
    }
    await http.get('/health/ready').expect(200);
    process.stdout.write(`fuzz ${name}: ${sent} requests over ${operationIndex} operations, by status ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}, with a token by role ${JSON.stringify(Object.fromEntries(byRole))}${byKind.size ? `, multipart and header attempts by status ${JSON.stringify(Object.fromEntries([...byKind].sort()))}` : ''}\n`);
    // Printed so a failing run names the requests; one line per distinct problem.
    if (failures.length > 0) console.error(`${name}: ${failures.length} of ${sent} requests failed (seed ${SEED})\n${[...new Set(failures)].slice(0, 40).join('\n')}`);
    expect({ service: name, sent, failures: failures.length }).toEqual({ service: name, sent, failures: 0 });
    expect(sent).toBeGreaterThan(0);
  }, 300_000);
});
