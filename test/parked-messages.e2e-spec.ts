import { randomUUID } from 'node:crypto';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { BaseEnv } from '@statex/config';
import { assertEventExchange, Header, ParkedMessages, publishOptions, topologyFor } from '@statex/messaging';
import { AuthStandIn, bearer, BrokerProbe, ServiceUnderTest, startServiceForTest, testEnv, uniqueNamespace, waitFor } from '@statex/testing';
import { aiWorkerService } from '../apps/ai-worker/src/ai-worker.app';
import { AiWorkerEnv } from '../apps/ai-worker/src/ai-worker.env';
import { runDlq, UsageError } from '../scripts/dlq';

/** Operators' view of parked messages: the API every service serves, and `npm run dlq`. */
describe('parked messages: list, inspect, replay, discard (real RabbitMQ)', () => {
  const namespace = uniqueNamespace('dlq');
  const topology = topologyFor(namespace, 'ai-worker');
  const auth = new AuthStandIn();
  let service: ServiceUnderTest;
  let connection: ChannelModel;
  let channel: Channel;
  let operator: Record<string, string>;
  const env = testEnv(BaseEnv, namespace);

  const park = (reason: string, correlationId = randomUUID()) => {
    const messageId = randomUUID();
    channel.sendToQueue(topology.deadLetterQueue, Buffer.from(JSON.stringify({ submissionId: correlationId, note: reason })), {
      messageId,
      type: 'request.created',
      correlationId,
      appId: 'submission',
      persistent: true,
      headers: { [Header.ParkedReason]: reason, [Header.ParkedAt]: new Date().toISOString(), [Header.FirstFailedAt]: new Date(Date.now() - 60_000).toISOString(), [Header.Attempt]: 4 },
    });
    return messageId;
  };
  const count = async (queue: string) => (await channel.checkQueue(queue)).messageCount;

  beforeAll(async () => {
    await auth.start();
    operator = bearer(await auth.mint({ roles: ['operator'] }));
    // Not consuming: a replayed message stays in the service queue for the test to see.
    service = await startServiceForTest(aiWorkerService, testEnv(AiWorkerEnv, namespace, auth.env), { consume: false });
    connection = await amqp.connect(env.RABBITMQ_URL);
    channel = await connection.createChannel();
    await channel.assertQueue(topology.deadLetterQueue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await channel.assertQueue(topology.queue, { durable: true, arguments: { 'x-queue-type': 'quorum', 'x-delivery-limit': 10, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': topology.deadLetterQueue, 'x-dead-letter-strategy': 'at-least-once', 'x-overflow': 'reject-publish' } });
  });

  afterAll(async () => {
    await service?.app.close();
    await connection?.close();
    await auth.stop();
    const probe = await new BrokerProbe(namespace).start();
    await probe.cleanup(['ai-worker']);
    await probe.stop();
  });

  it('lists and shows them with reason, attempts, first and last failure and payload; staff only', async () => {
    const first = park('handler failed: database timeout');
    park('invalid payload: email');
    await waitFor(async () => (await count(topology.deadLetterQueue)) === 2, { what: 'two parked messages' });
    await service.http.get('/api/parked-messages').expect(401);
    await service.http.get('/api/parked-messages').set(bearer(await auth.mint({ roles: ['client'] }))).expect(403);
    const list = await service.http.get('/api/parked-messages').set(operator).expect(200);
    expect(list.body).toMatchObject({ service: 'ai-worker', queue: topology.deadLetterQueue, waiting: 0 });
    expect(list.body.items.map((m: { reason: string }) => m.reason).sort()).toEqual(['handler failed: database timeout', 'invalid payload: email']);
    const shown = await service.http.get(`/api/parked-messages/${first}`).set(operator).expect(200);
    expect(shown.body).toMatchObject({ messageId: first, routingKey: 'request.created', attempts: 4, source: 'submission', firstFailedAt: expect.any(String), parkedAt: expect.any(String), payload: { note: 'handler failed: database timeout' } });
    await service.http.get(`/api/parked-messages/${randomUUID()}`).set(operator).expect(404);
    // Inspecting gave them back.
    expect(await count(topology.deadLetterQueue)).toBe(2);
  });

  it('replays one into the service queue with its message id and attempts reset, and discards another', async () => {
    const [a, b] = (await service.http.get('/api/parked-messages').set(operator).expect(200)).body.items.map((m: { messageId: string }) => m.messageId);
    await service.http.post(`/api/parked-messages/${a}/replay`).set(operator).expect(200).expect({ messageIds: [a] });
    await service.http.delete(`/api/parked-messages/${b}`).set(operator).expect(200).expect({ messageIds: [b] });
    await service.http.post(`/api/parked-messages/${b}/replay`).set(operator).expect(404);
    expect(await count(topology.deadLetterQueue)).toBe(0);
    const replayed = await waitFor(async () => (await channel.get(topology.queue, { noAck: true })) || undefined, { what: 'the replayed message in the service queue' });
    expect(replayed.properties.messageId).toBe(a);
    expect(replayed.properties.headers?.[Header.Attempt]).toBe(1);
    expect(replayed.properties.headers?.[Header.ReplayedAt]).toEqual(expect.any(String));
    expect(replayed.properties.headers?.[Header.ParkedReason]).toBeUndefined();
  });

  it('does the same from the shell: npm run dlq -- list | show | replay | discard', async () => {
    const one = park('from the shell 1');
    const two = park('from the shell 2');
    const three = park('from the shell 3');
    const four = park('from the shell 4');
    await waitFor(async () => (await count(topology.deadLetterQueue)) === 4, { what: 'four parked messages' });
    const listed = await runDlq(['list', 'ai-worker'], env);
    expect(listed).toContain(`ai-worker (${topology.deadLetterQueue}): 4 parked`);
    expect(listed).toContain(one);
    // Without a service: every service's dead-letter queue, and the unrouted events.
    const everywhere = await runDlq(['list'], env);
    expect(everywhere).toContain(`ai-worker (${topology.deadLetterQueue}): 4 parked`);
    expect(everywhere).toContain(`notification (${topologyFor(namespace, 'notification').deadLetterQueue}): 0 parked`);
    expect(JSON.parse(await runDlq(['show', 'ai-worker', two], env))).toMatchObject({ messageId: two, reason: 'from the shell 2' });
    expect(await runDlq(['discard', 'ai-worker', one], env)).toBe(`1 discarded from ${topology.deadLetterQueue}: ${one}`);
    expect(await runDlq(['replay', 'ai-worker', three], env)).toBe(`1 replayed from ${topology.deadLetterQueue}: ${three}`);
    expect(await runDlq(['replay', 'ai-worker', '--all'], env)).toMatch(new RegExp(`^2 replayed from ${topology.deadLetterQueue.replace(/\./g, '\\.')}: (${two}, ${four}|${four}, ${two})$`));
    expect(await count(topology.deadLetterQueue)).toBe(0);
    park('from the shell 5');
    park('from the shell 6');
    await waitFor(async () => (await count(topology.deadLetterQueue)) === 2, { what: 'two more parked messages' });
    expect(await runDlq(['discard', 'ai-worker', '--all'], env)).toMatch(/^2 discarded from /);
    expect(await count(topology.deadLetterQueue)).toBe(0);
    await channel.purgeQueue(topology.queue);
    await expect(runDlq(['replay', 'nobody', '--all'], env)).rejects.toThrow(UsageError);
    await expect(runDlq(['replay', 'ai-worker'], env)).rejects.toThrow(/message id, or --all/);
    await expect(runDlq([], env)).rejects.toThrow(/usage/);
  });

  it('never loses a replay the broker returns: with the service queue gone the message stays parked, and replay says why', async () => {
    const kept = park('replayed into a deleted queue');
    await waitFor(async () => (await count(topology.deadLetterQueue)) === 1, { what: 'one parked message' });
    await channel.deleteQueue(topology.queue);
    try {
      const answer = await service.http.post(`/api/parked-messages/${kept}/replay`).set(operator).expect(409);
      expect(answer.body.message).toContain(`${topology.queue} took no copy of ${kept}`);
      await expect(runDlq(['replay', 'ai-worker', '--all'], env)).rejects.toThrow(/does not exist/);
      expect((await new ParkedMessages(env.RABBITMQ_URL, namespace).list('ai-worker')).map((m) => m.messageId)).toEqual([kept]);
    } finally {
      await channel.assertQueue(topology.queue, { durable: true, arguments: { 'x-queue-type': 'quorum', 'x-delivery-limit': 10, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': topology.deadLetterQueue, 'x-dead-letter-strategy': 'at-least-once', 'x-overflow': 'reject-publish' } });
    }
    // With the queue back, the same replay goes through, once, and the API discards all in one call.
    await service.http.post('/api/parked-messages/replay').set(operator).expect(200).expect({ messageIds: [kept] });
    expect(await count(topology.deadLetterQueue)).toBe(0);
    expect(((await channel.get(topology.queue, { noAck: true })) || undefined)?.properties.messageId).toBe(kept);
    park('discarded with the rest 1');
    park('discarded with the rest 2');
    await waitFor(async () => (await count(topology.deadLetterQueue)) === 2, { what: 'two parked messages' });
    const discarded = await service.http.delete('/api/parked-messages').set(operator).expect(200);
    expect(discarded.body.messageIds).toHaveLength(2);
    expect(await count(topology.deadLetterQueue)).toBe(0);
  });

  it('keeps events nobody was bound for in the unrouted queue, where they can be listed and replayed', async () => {
    const parked = new ParkedMessages(env.RABBITMQ_URL, namespace);
    await assertEventExchange(channel, topology);
    const options = publishOptions({ routingKey: 'nobody.listens', payload: { hello: 'world' } }, 'test');
    channel.publish(topology.exchange, 'nobody.listens', Buffer.from(JSON.stringify({ hello: 'world' })), options);
    const id = options.messageId;
    await waitFor(async () => (await parked.list('unrouted')).some((m) => m.messageId === id), { what: 'the unrouted event' });
    expect((await parked.list('unrouted')).find((m) => m.messageId === id)).toMatchObject({ routingKey: 'nobody.listens', reason: 'no event handler was bound for it' });
    expect(await parked.replay('unrouted', [id])).toEqual([id]);
    // Still nobody listens, so the replayed event is kept again rather than lost.
    await waitFor(async () => (await parked.list('unrouted')).some((m) => m.messageId === id), { what: 'the replayed event kept again' });
    expect(await parked.discard('unrouted', [id])).toEqual([id]);
  });
});
