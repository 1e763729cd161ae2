import { accountIdsOf, ERASED, eraseFromPayload } from './erasure';

describe('erasing a deleted account from stored events', () => {
  it('drops the address fields and what a notification said, keeps ids, template, channel and times', () => {
    const payload = {
      channel: 'email',
      recipient: 'Jana@Example.com',
      template: 'account-verification',
      data: { name: 'Jana', verifyUrl: 'http://x/verify-email?token=[Redacted]' },
      idempotencyKey: 'user-portal:account-verification:1',
      correlationId: 'u-1',
    };
    expect(eraseFromPayload('notification.requested', payload, ['jana@example.com'])).toEqual({ ...payload, recipient: ERASED, data: {} });
    expect(eraseFromPayload('notification.manual_pending', { notificationId: 'n', recipient: 'https://www.linkedin.com/in/jana', text: 'Hello Jana' }, [])).toEqual({ notificationId: 'n', recipient: ERASED, text: ERASED });
    expect(eraseFromPayload('user.registered', { userId: 'u-1', email: 'jana@example.com', locale: 'cs', registeredAt: 't' }, ['jana@example.com'])).toEqual({ userId: 'u-1', email: ERASED, locale: 'cs', registeredAt: 't' });
  });

  it('replaces the address wherever else it is written, whatever its case, and leaves other text alone', () => {
    const failed = { notificationId: 'n', recipient: 'jana@example.com', reason: '550 <JANA@example.com> unknown; jana@example.co is someone else', template: 't' };
    expect(eraseFromPayload('notification.failed', failed, ['jana@example.com']).reason).toBe(`550 <${ERASED}> unknown; jana@example.co is someone else`);
    // An address with regular-expression characters is matched literally.
    expect(eraseFromPayload('user.verified', { userId: 'u', email: 'a+b@x.io', note: 'a+b@x.io and aab@x.io' }, ['a+b@x.io']).note).toBe(`${ERASED} and aab@x.io`);
  });

  it('finds the account an event can belong to only for user.* and notification.* events', () => {
    expect(accountIdsOf({ routingKey: 'user.verified', correlationId: 'u-1', payload: { userId: 'u-1' } })).toEqual(['u-1']);
    expect(accountIdsOf({ routingKey: 'notification.sent', correlationId: 's-1', payload: {} })).toEqual(['s-1']);
    // A lead journey's own message is correlated by its submission, no account; a userId in it still counts.
    expect(accountIdsOf({ routingKey: 'notification.sent', correlationId: 's-1', payload: { journey: true, recipient: 'x@y.z' } })).toEqual([]);
    expect(accountIdsOf({ routingKey: 'notification.sent', correlationId: 's-1', payload: { journey: true, userId: 'u-1' } })).toEqual(['u-1']);
    expect(accountIdsOf({ routingKey: 'notification.sent', correlationId: 'u-1', payload: { journey: false } })).toEqual(['u-1']);
    expect(accountIdsOf({ routingKey: 'request.created', correlationId: 's-1', payload: { email: 'x@y.z' } })).toEqual([]);
  });
});
