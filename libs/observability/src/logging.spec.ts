import { type AddressInfo, connect } from 'node:net';
import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import pino from 'pino';
import { addRequestLogFields, CORRELATION_HEADER, correlationIdOf, loggerModule, logRequests, redactLogLine, serviceLoggerOptions, withLogContext } from './logging';

/** A logger with the services' options, writing its lines where the test can read them. */
function capture(): { logger: pino.Logger; stream: Writable; lines: () => Array<Record<string, unknown>> } {
  const written: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      written.push(chunk.toString());
      done();
    },
  });
  return { logger: pino(serviceLoggerOptions('test', 'info'), stream), stream, lines: () => written.join('').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe("the services' logger", () => {
  it('replaces secret-named fields at the top level and one and two levels down, in lines and in bindings', () => {
    const { logger, lines } = capture();
    logger.child({ token: 'child-token', account: { refreshToken: 'child-refresh' } }).info(
      {
        password: 'top-password',
        user: { accessToken: 'one-down', name: 'Jana' },
        provider: { credentials: { apiKey: 'two-down', clientSecret: 'two-down-too', region: 'eu' } },
      },
      'signed in',
    );
    expect(lines()).toEqual([
      expect.objectContaining({
        service: 'test',
        level: 'info',
        message: 'signed in',
        token: '[Redacted]',
        account: { refreshToken: '[Redacted]' },
        password: '[Redacted]',
        user: { accessToken: '[Redacted]', name: 'Jana' },
        provider: { credentials: { apiKey: '[Redacted]', clientSecret: '[Redacted]', region: 'eu' } },
      }),
    ]);
    expect(JSON.stringify(lines())).not.toMatch(/child-token|child-refresh|top-password|one-down|two-down/);
  });

  it('replaces secret-named fields at any depth, in arrays, and keeps a line without them as it was written', () => {
    const { logger, lines } = capture();
    logger.info({ a: { b: { c: { d: [{ password: 'deep-password', kept: 1 }] } } }, 'x-api-key': 'header-key', 'set-cookie': ['sid=set'], token: null, idToken: '' }, 'deep');
    logger.info({ tokenCount: 3, passwordless: true, note: 'the "token": field is not in this line' }, 'plain');
    const [deep, plain] = lines();
    expect(deep).toMatchObject({ a: { b: { c: { d: [{ password: '[Redacted]', kept: 1 }] } } }, 'x-api-key': '[Redacted]', 'set-cookie': '[Redacted]', token: null, idToken: '' });
    expect(plain).toMatchObject({ tokenCount: 3, passwordless: true, note: 'the "token": field is not in this line' });
    expect(JSON.stringify(deep)).not.toMatch(/deep-password|header-key|sid=set/);
  });

  it('keeps the secrets out of a line that is not JSON (a formatter gone wrong) too', () => {
    const line = redactLogLine('level=info {"token":"t-\\"quoted\\"-1","apiKey":12345,"name":"Jana"}\n');
    expect(line).not.toMatch(/t-|quoted|12345/);
    expect(line).toContain('"token":"[Redacted]"');
    expect(line).toContain('"name":"Jana"');
  });

  it('writes one line per request, with its correlation id, request, status and time, and never its headers', async () => {
    const { logger, lines } = capture();
    const fastify = Fastify({ genReqId: correlationIdOf });
    logRequests(fastify, logger);
    // What Nest's logger writes while handling the request (nestjs-pino, as the services use it).
    const nestLogger = new PinoLogger({ pinoHttp: { logger } });
    fastify.post('/api/submissions', async (request, reply) => {
      nestLogger.info({ user: { accessToken: 'inside-token' } }, 'handling');
      addRequestLogFields(request.raw, { submissionId: 'sub-1' }, 'submission accepted');
      return reply.status(202).header('set-cookie', 'sid=secret-cookie').send({});
    });
    fastify.get('/health/ready', async () => ({ status: 'ok' }));
    fastify.get('/boom', async () => {
      throw new Error('boom');
    });
    try {
      const headers = { authorization: 'Bearer secret-jwt', cookie: 'sid=secret-cookie', [CORRELATION_HEADER]: 'corr-1', 'content-type': 'application/json' };
      expect((await fastify.inject({ method: 'POST', url: '/api/submissions?x=1', headers, payload: '{"name":"Jana"}' })).statusCode).toBe(202);
      expect((await fastify.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
      expect((await fastify.inject({ method: 'GET', url: '/boom', headers: { [CORRELATION_HEADER]: 'corr-2' } })).statusCode).toBe(500);
      expect(lines()).toEqual([
        expect.objectContaining({ message: 'handling', correlationId: 'corr-1', user: { accessToken: '[Redacted]' } }),
        expect.objectContaining({
          level: 'info',
          message: 'submission accepted',
          correlationId: 'corr-1',
          req: { id: 'corr-1', method: 'POST', url: '/api/submissions?x=1', remoteAddress: '127.0.0.1' },
          res: { statusCode: 202 },
          responseTime: expect.any(Number),
          submissionId: 'sub-1',
        }),
        expect.objectContaining({ level: 'error', message: 'request failed', correlationId: 'corr-2', res: { statusCode: 500 } }),
      ]);
      expect(JSON.stringify(lines())).not.toMatch(/secret-jwt|secret-cookie|inside-token/);
    } finally {
      await fastify.close();
    }
  });

  it('writes a line for a request the client gave up on before sending all of it', async () => {
    const { logger, lines } = capture();
    const fastify = Fastify({ genReqId: correlationIdOf });
    logRequests(fastify, logger);
    fastify.post('/api/submissions', async () => ({}));
    await fastify.listen({ port: 0, host: '127.0.0.1' });
    try {
      const { port } = fastify.server.address() as AddressInfo;
      const socket = connect(port, '127.0.0.1');
      await new Promise((connected) => socket.once('connect', connected));
      socket.write(`POST /api/submissions HTTP/1.1\r\nHost: x\r\n${CORRELATION_HEADER}: corr-3\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"name":`);
      await new Promise((resolved) => setTimeout(resolved, 100));
      socket.destroy();
      // Nothing is written until the abort is noticed (lines() cannot parse an empty capture).
      const deadline = Date.now() + 2000;
      const written = () => {
        try {
          return lines();
        } catch {
          return [];
        }
      };
      while (written().length === 0 && Date.now() < deadline) await new Promise((resolved) => setTimeout(resolved, 20));
      expect(lines()).toEqual([expect.objectContaining({ message: 'request aborted by the client', correlationId: 'corr-3', req: expect.objectContaining({ method: 'POST', url: '/api/submissions' }) })]);
    } finally {
      await fastify.close();
    }
  });

  it('gives the lines written while handling a message the fields withLogContext was given, and only those lines', async () => {
    const { stream, lines } = capture();
    loggerModule('consumer', 'info', stream);
    const nestLogger = new PinoLogger({ pinoHttp: { logger: pino({ level: 'silent' }) } });
    await withLogContext({ correlationId: 'msg-1', routingKey: 'request.created' }, async () => {
      await new Promise((resolved) => setImmediate(resolved));
      nestLogger.info({ password: 'in-message' }, 'handled');
    });
    await withLogContext({ correlationId: 'msg-2' }, async () => undefined);
    expect(lines()).toEqual([expect.objectContaining({ service: 'consumer', message: 'handled', correlationId: 'msg-1', routingKey: 'request.created', password: '[Redacted]' })]);
  });
});
