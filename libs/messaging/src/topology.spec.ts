import { publishOptions, topicMatches, topologyFor } from '@statex/messaging';

describe('topology', () => {
  it('derives every name from the namespace and service', () => {
    const t = topologyFor('statex', 'submission');
    expect(t.exchange).toBe('statex.events');
    expect(t.queue).toBe('statex.submission');
    expect(t.deadLetterQueue).toBe('statex.submission.dlq');
    expect(t.retryQueue(5000)).toBe('statex.submission.retry.5000ms');
  });

  it.each([
    ['request.created', 'request.created', true],
    ['request.*', 'request.created', true],
    ['request.*', 'request.created.v2', false],
    ['request.#', 'request.created.v2', true],
    ['#', 'ai.analysis.completed', true],
    ['ai.*.completed', 'ai.analysis.completed', true],
    ['ai.*.completed', 'ai.analysis.failed', false],
    ['notification.sent', 'notification.failed', false],
  ])('topic %s matches %s: %s', (pattern, key, expected) => {
    expect(topicMatches(pattern, key)).toBe(expected);
  });
});

describe('publishOptions', () => {
  it('carries id, type, timestamp, source and correlation id', () => {
    const at = new Date('2026-01-02T03:04:05Z');
    const options = publishOptions({ routingKey: 'request.created', payload: {}, messageId: 'm-1', correlationId: 'c-1', timestamp: at }, 'submission');
    expect(options).toMatchObject({
      persistent: true,
      mandatory: true,
      messageId: 'm-1',
      type: 'request.created',
      timestamp: Math.floor(at.getTime() / 1000),
      appId: 'submission',
      correlationId: 'c-1',
      headers: { 'x-source': 'submission', 'x-correlation-id': 'c-1' },
    });
  });
});
