import { Writable } from 'node:stream';
import pino from 'pino';
import { requestLoggerOptions } from './logging';

/** A logger with the services' options, writing its lines where the test can read them. */
function capture(): { logger: pino.Logger; lines: () => Array<Record<string, unknown>> } {
  const written: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      written.push(chunk.toString());
      done();
    },
  });
  const options = requestLoggerOptions('test', 'info') as pino.LoggerOptions;
  return { logger: pino(options, stream), lines: () => written.join('').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>) };
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

  it('logs a request as its id, method, URL and address, never its headers, and a response as its status', () => {
    const { logger, lines } = capture();
    const req = { id: 'corr-1', method: 'POST', url: '/api/submissions', remoteAddress: '127.0.0.1', headers: { authorization: 'Bearer secret-jwt', cookie: 'sid=secret-cookie' } };
    const res = { statusCode: 202, headers: { 'set-cookie': 'sid=secret-cookie' } };
    logger.info({ req, res, responseTime: 3 }, 'request completed');
    expect(lines()[0]).toMatchObject({ req: { id: 'corr-1', method: 'POST', url: '/api/submissions', remoteAddress: '127.0.0.1' }, res: { statusCode: 202 }, responseTime: 3 });
    expect(JSON.stringify(lines())).not.toMatch(/secret-jwt|secret-cookie/);
  });
});
