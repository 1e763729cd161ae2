import { normalizeLine, parseNdjson } from './log-line';
import { REDACTED, SCRUB_MAX_DEPTH, scrubText, scrubValue, TOO_DEEP } from './redaction';

describe('the logging service’s scrub', () => {
  const jwt = 'eyJhbGciOiJFZERTQSIsImtpZCI6IjEifQ.eyJzdWIiOiJ1c2VyLTEiLCJyb2xlcyI6WyJhZG1pbiJdfQ.sig-nature_bytes';

  it.each([
    ['Authorization: Bearer abcdef123456', 'abcdef123456'],
    ['authorization=Basic dXNlcjpwYXNzd29yZA==', 'dXNlcjpwYXNzd29yZA=='],
    [`token in text ${jwt} here`, jwt],
    ['GET /reset?token=tok-123&page=2', 'tok-123'],
    ['{"password":"hunter2","name":"Jana"}', 'hunter2'],
    ['password: hunter2', 'hunter2'],
    ['api_key=k-123 and apiKey=k-456', 'k-123'],
    ['x-api-key: k-789', 'k-789'],
    ['connecting to postgres://statex:s3cr3t@db:5432/statex', 's3cr3t'],
    ['refresh_token=rt-1; Path=/', 'rt-1'],
    ['Cookie: session=abc', 'session=abc'],
  ])('scrubs %s', (text, secret) => {
    const scrubbed = scrubText(text);
    expect(scrubbed).not.toContain(secret);
    expect(scrubbed).toContain(REDACTED);
  });

  it('makes text PostgreSQL can store: no NUL, no lone surrogate', () => {
    expect(scrubValue({ 'k\u0000': 'a\u0000b', lone: 'x\ud800y', pair: '😀' })).toEqual({ k: 'ab', lone: 'x\ufffdy', pair: '😀' });
  });

  it('leaves ordinary text alone', () => {
    for (const text of ['Submission received', 'Delivery failed for good: SMTP 451 try later', 'request completed', 'tokens are counted per minute']) {
      expect(scrubText(text)).toBe(text);
    }
  });

  it('replaces secret-named fields at any depth and keeps the rest', () => {
    expect(
      scrubValue({
        req: { headers: { authorization: 'Bearer x', Cookie: 'a=b', 'user-agent': 'curl' } },
        user: { password: 'p', newPassword: 'q', name: 'Jana' },
        list: [{ clientSecret: 's' }, { accessToken: 't' }],
        count: 3,
        empty: { token: null },
      }),
    ).toEqual({
      req: { headers: { authorization: REDACTED, Cookie: REDACTED, 'user-agent': 'curl' } },
      user: { password: REDACTED, newPassword: REDACTED, name: 'Jana' },
      list: [{ clientSecret: REDACTED }, { accessToken: REDACTED }],
      count: 3,
      empty: { token: null },
    });
  });

  it('normalises pino lines: msg or message, numeric levels, epoch times, correlation id from req.id, NUL removed', () => {
    const line = normalizeLine({ level: 50, time: 1764300000000, msg: 'boom\u0000', service: 'notification', req: { id: 'c-1' }, hostname: 'h', pid: 1, extra: 1 }, 'unknown');
    expect(line).toMatchObject({ level: 'error', time: new Date(1764300000000), message: 'boom', service: 'notification', correlationId: 'c-1', fields: { req: { id: 'c-1' }, extra: 1 } });
    expect(line.fields).not.toHaveProperty('hostname');
    expect(normalizeLine({ message: 'x', time: 'not a time' }, 'website', new Date(0))).toMatchObject({ time: new Date(0), service: 'website', level: 'info' });
  });

  it('parses NDJSON strictly for clients and leniently for shipped batches', () => {
    expect(parseNdjson('{"a":1}\n\n{"b":2}\n')).toEqual({ lines: [{ a: 1 }, { b: 2 }], problem: undefined, skipped: 0 });
    expect(parseNdjson('{"a":1}\n[1]\n{"b":2}').problem).toBe('line 2 is not a JSON object');
    expect(parseNdjson('{"a":1}\nnope\n{"b":2}', true)).toEqual({ lines: [{ a: 1 }, { b: 2 }], problem: 'line 2 is not a JSON object', skipped: 1 });
  });

  it('never keeps what it cannot scrub: a value nested deeper than it walks is replaced, NUL and secrets with it', () => {
    const nest = (depth: number, leaf: unknown): unknown => (depth === 0 ? leaf : { a: nest(depth - 1, leaf) });
    const deep = JSON.stringify(scrubValue(nest(SCRUB_MAX_DEPTH + 5, { password: 'hunter2', note: 'a\u0000b' })));
    expect(deep).toContain(TOO_DEEP);
    expect(deep).not.toContain('hunter2');
    expect(deep).not.toContain('\\u0000');
    // Within the depth it walks, values are kept and scrubbed.
    const shallow = JSON.stringify(scrubValue(nest(3, { password: 'hunter2', note: 'kept' })));
    expect(shallow).not.toContain('hunter2');
    expect(shallow).toContain('kept');
  });
});
