import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import multipart from '@fastify/multipart';
import { HttpException } from '@nestjs/common';
import Fastify, { FastifyInstance } from 'fastify';
import request from 'supertest';
import { fixtures } from '@statex/testing';
import { hostile, withNul } from '../../../test/fixtures/hostile/corpus';
import { readMultipartForm, UploadedFile } from './multipart-form';

/** A bare Fastify with the multipart plugin and one route that reads the form as the submission service does. */
describe('readMultipartForm', () => {
  let app: FastifyInstance;
  let lastFiles: UploadedFile[] = [];
  const tempDir = mkdtempSync(join(tmpdir(), 'statex-uploads-spec-'));

  beforeAll(async () => {
    // As the runtime does with HTTP_IDLE_TIMEOUT_MS: a connection silent this long is closed.
    app = Fastify({ connectionTimeout: 1000 });
    await app.register(multipart, { limits: { fileSize: 64 * 1024, files: 2, fields: 20, fieldSize: 1024, parts: 30 } });
    app.setErrorHandler((error, _req, reply) => {
      if (error instanceof HttpException) return reply.status(error.getStatus()).send(error.getResponse());
      const status = (error as { statusCode?: number }).statusCode;
      return reply.status(status && status < 500 ? status : 500).send({ message: (error as Error).message });
    });
    app.post('/form', async (req) => {
      const form = await readMultipartForm(req, { fileField: 'attachments', maxFileBytes: 64 * 1024, maxFiles: 2, typingTimeoutMs: 1000, tempDir });
      lastFiles = form.files;
      const body = { fields: form.fields, files: form.files.map((f) => ({ fileName: f.fileName, contentType: f.contentType, size: f.size })) };
      await form.discard();
      return body;
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => app.close());

  const raw = (parts: string[]) => {
    const boundary = 'xyzBOUNDARY';
    return request(app.server)
      .post('/form')
      .set('content-type', `multipart/form-data; boundary=${boundary}`)
      .send(parts.map((p) => `--${boundary}\r\n${p}\r\n`).join('') + `--${boundary}--\r\n`);
  };

  it('reads fields and typed files, and removes the temporary files', async () => {
    const res = await request(app.server).post('/form').field('name', 'Jana\nNováková').attach('attachments', fixtures.pdf(), 'brief.pdf').expect(200);
    expect(res.body).toEqual({ fields: { name: 'Jana\nNováková' }, files: [{ fileName: 'brief.pdf', contentType: 'application/pdf', size: fixtures.pdf().length }] });
    expect(existsSync(lastFiles[0].path)).toBe(false);
  });

  it("answers 400 naming a file name with NUL in it (filename*=UTF-8''a%00b)", async () => {
    const res = await raw([`Content-Disposition: form-data; name="attachments"; filename*=UTF-8''a%00b.txt\r\nContent-Type: text/plain\r\n\r\nhello`]).expect(400);
    expect(res.body.message).toBe('File name "a\\u0000b.txt" in "attachments" contains NUL (\\u0000)');
  });

  it.each(withNul('message'))('answers 400 for a NUL anywhere in a field value (%j)', async (value) => {
    const res = await request(app.server).post('/form').field('message', value).expect(400);
    expect(res.body.message).toBe('Field "message" contains NUL (\\u0000)');
  });

  it('answers 400 for control characters in field names and values, and in file names', async () => {
    expect((await raw(['Content-Disposition: form-data; name="na\u0007me"\r\n\r\nx']).expect(400)).body.message).toContain('Field name "na\\u0007me" contains control character \\u0007');
    expect((await request(app.server).post('/form').field('message', 'bell\u001b[31m').expect(400)).body.message).toBe('Field "message" contains control character \\u001b');
    const res = await raw([`Content-Disposition: form-data; name="attachments"; filename*=UTF-8''a%1Bb.txt\r\nContent-Type: text/plain\r\n\r\nhello`]).expect(400);
    expect(res.body.message).toBe('File name "a\\u001bb.txt" in "attachments" contains control character \\u001b');
  });

  it('answers 400 for a file name that hides its extension behind a right-to-left override', async () => {
    const res = await raw([`Content-Disposition: form-data; name="attachments"; filename*=UTF-8''invoice%E2%80%AEfdp.exe\r\nContent-Type: text/plain\r\n\r\nhello`]).expect(400);
    expect(res.body.message).toBe('File name "invoice\u202efdp.exe" in "attachments" contains bidirectional control \\u202e');
  });

  it('answers 415 for the ASF that hangs file-type 16, for markup sent as text, and for text that stops being UTF-8', async () => {
    for (const [name, content] of [['song.txt', hostile.asf()], ['x.svg', hostile.svg()], ['page.txt', hostile.htmlWithBom()], ['cut.txt', hostile.textCutMidCharacter()]] as const) {
      const res = await request(app.server).post('/form').attach('attachments', content, name).expect(415);
      expect(res.body.message).toContain('is not of an accepted type');
    }
  });

  it('answers 413 past the size cap, and 413 for too many files', async () => {
    await request(app.server).post('/form').attach('attachments', Buffer.alloc(65 * 1024, 0x61), 'big.txt').expect(413);
    await request(app.server).post('/form').attach('attachments', fixtures.txt(), 'a.txt').attach('attachments', fixtures.txt(), 'b.txt').attach('attachments', fixtures.txt(), 'c.txt').expect(413);
  });

  it('cuts off an upload that stops sending, and removes what it had written', async () => {
    const { port } = app.server.address() as AddressInfo;
    const socket = connect(port, '127.0.0.1');
    const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now())));
    socket.on('error', () => undefined);
    const started = Date.now();
    const boundary = 'stalledBOUNDARY';
    socket.write(
      `POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: 1000000\r\n\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="attachments"; filename="slow.txt"\r\nContent-Type: text/plain\r\n\r\n${'a'.repeat(10_000)}`,
    );
    // The part is being written to a temporary file...
    const dirs = () => readdirSync(tempDir);
    await waitUntil(() => dirs().length === 1);
    // ...then the client goes silent: the connection is closed within the idle timeout, and the file removed.
    const at = await closed;
    expect(at - started).toBeLessThan(5000);
    await waitUntil(() => dirs().length === 0);
  });
});

/** A form whose typing deadline is 1 ms: a file too large to type that fast shows what a file that cannot be typed in time gets. */
describe('readMultipartForm past the typing deadline', () => {
  let app: FastifyInstance;
  const tempDir = mkdtempSync(join(tmpdir(), 'statex-uploads-typing-'));

  beforeAll(async () => {
    app = Fastify();
    await app.register(multipart, { limits: { fileSize: 16 * 1024 * 1024, files: 1 } });
    app.setErrorHandler((error, _req, reply) => reply.status(error instanceof HttpException ? error.getStatus() : 500).send(error instanceof HttpException ? error.getResponse() : { message: (error as Error).message }));
    app.post('/form', async (req) => {
      const form = await readMultipartForm(req, { fileField: 'attachments', maxFileBytes: 16 * 1024 * 1024, maxFiles: 1, typingTimeoutMs: 1, tempDir });
      await form.discard();
      return { files: form.files.length };
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => app.close());

  it('answers 415 "could not be typed in time" (FileTypeTimeout), and removes the temporary file', async () => {
    // 8 MB of valid UTF-8 text: typing it reads every byte, far longer than 1 ms.
    const res = await request(app.server).post('/form').attach('attachments', Buffer.alloc(8 * 1024 * 1024, 'plain words '), 'long.txt').expect(415);
    expect(res.body.message).toBe('Attachment "long.txt" could not be typed in time; accepted: pdf, png, jpg, docx, txt');
    expect(readdirSync(tempDir)).toEqual([]);
  });
});

async function waitUntil(probe: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
