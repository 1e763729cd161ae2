import { Controller, INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { AmqpConnectionManager } from 'amqp-connection-manager';
import { register } from 'prom-client';
import { RequestCreatedEvent, RoutingKey } from '@statex/contracts';
import { EventContext, PermanentMessageError, RmqEventServer, topologyFor } from '@statex/messaging';
import { ErrorFilter } from '@statex/runtime';
import { BrokerProbe, sleep, uniqueNamespace, waitFor } from '@statex/testing';
import { requestCreated } from './helpers';

interface Handled {
  message: string;
  attempt: number;
  at: number;
  payloadIsInstance: boolean;
}

const handled: Handled[] = [];
const failuresLeft = new Map<string, number>();
/** A scripted dependency (a database) that the "needs-dependency" messages fail without. */
let dependencyDown = false;

@Controller()
class ScriptedHandlers {
  /** `message` scripts the handler: "ok:<id>", "fail-twice:<id>", "always-fail:<id>", "permanent:<id>", "slow:<id>". */
  @EventPattern(RoutingKey.RequestCreated)
  async onRequestCreated(@Payload() event: RequestCreatedEvent, @Ctx() ctx: EventContext): Promise<void> {
    handled.push({ message: event.message, attempt: ctx.attempt, at: Date.now(), payloadIsInstance: event instanceof RequestCreatedEvent });
    const [mode] = event.message.split(':');
    if (mode === 'always-fail') throw new Error(`scripted failure of ${event.message}`);
    if (mode === 'permanent') throw new PermanentMessageError('this can never succeed');
    if (mode === 'slow') await sleep(1500);
    if (mode === 'needs-dependency' && dependencyDown) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
    if (mode === 'fail-twice') {
      const left = failuresLeft.get(event.message) ?? 2;
      failuresLeft.set(event.message, left - 1);
      if (left > 0) throw new Error('transient failure');
    }
    await sleep(5);
  }
}

@Module({ controllers: [ScriptedHandlers] })
class ScriptedModule {}

const attemptsOf = (message: string) => handled.filter((h) => h.message === message);

describe('RmqEventServer (real RabbitMQ)', () => {
  const namespace = uniqueNamespace('msg');
  const topology = topologyFor(namespace, 'scripted');
  const probe = new BrokerProbe(namespace);
  let server: RmqEventServer;
  let app: INestMicroservice;

  beforeAll(async () => {
    await probe.start();
    server = new RmqEventServer({ url: process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672', namespace, service: 'scripted', prefetch: 5, retryDelaysMs: [200, 600] });
    app = await NestFactory.createMicroservice(ScriptedModule, { strategy: server, logger: false });
    app.useGlobalFilters(new ErrorFilter());
    await app.listen();
    await waitFor(() => server.isConnected(), { what: 'the consumer to connect' });
  });

  afterAll(async () => {
    await app?.close();
    await probe.cleanup(['scripted'], [200, 600]);
    await probe.stop();
  });

  it('acks a handled message and hands the handler a contract instance', async () => {
    await probe.publish(RoutingKey.RequestCreated, requestCreated('ok:1'));
    await waitFor(() => attemptsOf('ok:1').length === 1, { what: 'ok:1 handled' });
    expect(attemptsOf('ok:1')[0]).toMatchObject({ attempt: 1, payloadIsInstance: true });
    await waitFor(async () => (await probe.messageCount(topology.queue)) === 0, { what: 'the queue to be empty' });
  });

  it('retries a failing handler with growing delays until it succeeds', async () => {
    await probe.publish(RoutingKey.RequestCreated, requestCreated('fail-twice:2'));
    await waitFor(() => attemptsOf('fail-twice:2').length === 3, { what: 'three attempts' });
    const [first, second, third] = attemptsOf('fail-twice:2');
    expect([first.attempt, second.attempt, third.attempt]).toEqual([1, 2, 3]);
    expect(second.at - first.at).toBeGreaterThanOrEqual(180);
    expect(third.at - second.at).toBeGreaterThanOrEqual(550);
    await sleep(800);
    expect(attemptsOf('fail-twice:2')).toHaveLength(3);
    expect(await probe.messageCount(topology.deadLetterQueue)).toBe(0);
  });

  it('parks a message that keeps failing in the .dlq while other messages keep flowing', async () => {
    await probe.publish(RoutingKey.RequestCreated, requestCreated('always-fail:3'));
    for (let i = 0; i < 5; i++) await probe.publish(RoutingKey.RequestCreated, requestCreated(`ok:3-${i}`));
    await waitFor(() => [0, 1, 2, 3, 4].every((i) => attemptsOf(`ok:3-${i}`).length === 1), { what: 'the healthy messages' });
    // The healthy messages did not wait for the failing one's retries.
    expect(attemptsOf('always-fail:3').length).toBeLessThan(3);

    const parked = await waitFor(async () => (await probe.drain(topology.deadLetterQueue))[0], { what: 'the parked message' });
    expect(attemptsOf('always-fail:3').map((h) => h.attempt)).toEqual([1, 2, 3]);
    expect(JSON.parse(parked.content.toString()).message).toBe('always-fail:3');
    expect(parked.properties.headers?.['x-parked-reason']).toContain('scripted failure of always-fail:3');
    expect(parked.properties.type).toBe(RoutingKey.RequestCreated);
  });

  it('parks an invalid payload at once, without calling the handler', async () => {
    const before = handled.length;
    await probe.publish(RoutingKey.RequestCreated, { submissionId: 'not-a-uuid', message: 'invalid:4' });
    const parked = await waitFor(async () => (await probe.drain(topology.deadLetterQueue))[0], { what: 'the parked invalid message' });
    expect(parked.properties.headers?.['x-parked-reason']).toMatch(/invalid payload: .*submissionId/);
    expect(parked.properties.headers?.['x-attempt']).toBe(1);
    expect(handled.length).toBe(before);
  });

  it('parks a body that is not JSON at once', async () => {
    await probe.publish(RoutingKey.RequestCreated, null, { raw: Buffer.from('{not json') });
    const parked = await waitFor(async () => (await probe.drain(topology.deadLetterQueue))[0], { what: 'the parked malformed message' });
    expect(parked.properties.headers?.['x-parked-reason']).toBe('malformed body: not JSON');
  });

  it('parks at once when the handler says retrying cannot help', async () => {
    await probe.publish(RoutingKey.RequestCreated, requestCreated('permanent:5'));
    const parked = await waitFor(async () => (await probe.drain(topology.deadLetterQueue))[0], { what: 'the parked message' });
    expect(parked.properties.headers?.['x-parked-reason']).toBe('this can never succeed');
    expect(attemptsOf('permanent:5')).toHaveLength(1);
  });

  it('keeps the original when a retry copy has nowhere to go (its queue deleted), declares the queues again, and retries', async () => {
    const retryQueue = topology.retryQueue(200);
    await probe.deleteQueue(retryQueue);
    await probe.publish(RoutingKey.RequestCreated, requestCreated('fail-twice:returned'));
    // The first failure's copy is returned by the broker: nothing is lost, the queue comes back,
    // and the message goes on through its retries to success.
    // Attempt 1 fails and its copy is returned; the original comes back as attempt 1, fails again
    // (its second scripted failure), and this time its retry copy lands: attempt 2 succeeds.
    await waitFor(() => attemptsOf('fail-twice:returned').length === 3, { what: 'the message handed back, then retried to success', timeoutMs: 15_000 });
    expect(attemptsOf('fail-twice:returned').map((h) => h.attempt)).toEqual([1, 1, 2]);
    expect(await probe.messageCount(topology.deadLetterQueue)).toBe(0);
  });

  it('counts what it did, and reports at scrape time whether it consumes and how deep its queues are', async () => {
    const value = async (name: string, labels: Record<string, string>) => {
      const metric = (await register.getSingleMetric(name)!.get()) as { values: Array<{ value: number; labels: Record<string, string | number> }> };
      return metric.values.filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want)).reduce((sum, v) => sum + v.value, 0);
    };
    const key = { routing_key: RoutingKey.RequestCreated };
    const before = {
      consumed: await value('statex_messages_consumed_total', key),
      retried: await value('statex_messages_retried_total', key),
      parked: await value('statex_messages_dead_lettered_total', { ...key, reason: 'failed' }),
    };
    await probe.publish(RoutingKey.RequestCreated, requestCreated('ok:counted'));
    await probe.publish(RoutingKey.RequestCreated, requestCreated('permanent:counted'));
    await probe.publish(RoutingKey.RequestCreated, requestCreated('fail-twice:counted'));
    await waitFor(() => attemptsOf('fail-twice:counted').length === 3 && attemptsOf('permanent:counted').length === 1, { what: 'the three handled' });
    await waitFor(async () => (await value('statex_messages_consumed_total', key)) === before.consumed + 2, { what: 'two more consumed' });
    expect(await value('statex_messages_retried_total', key)).toBe(before.retried + 2);
    expect(await value('statex_messages_dead_lettered_total', { ...key, reason: 'failed' })).toBe(before.parked + 1);
    // The gauges are read from the broker at scrape time.
    expect(await value('statex_consumer_attached', { queue: topology.queue })).toBe(1);
    const parkedNow = await probe.messageCount(topology.deadLetterQueue);
    expect(parkedNow).toBeGreaterThan(0);
    expect(await value('statex_queue_messages', { queue: topology.deadLetterQueue, kind: 'dlq' })).toBe(parkedNow);
    expect(await value('statex_queue_messages', { queue: topology.queue, kind: 'work' })).toBe(await probe.messageCount(topology.queue));
  });

  it('reports itself attached while consuming, and detached once the broker cancels it', async () => {
    expect(server.isAttached()).toBe(true);
    await probe.deleteQueue(topology.queue);
    await waitFor(() => !server.isAttached(), { what: 'the consumer to report itself detached', timeoutMs: 5_000 });
    const attached = (await register.getSingleMetric('statex_consumer_attached')!.get()) as { values: Array<{ value: number; labels: { queue?: string } }> };
    expect(attached.values.find((v) => v.labels.queue === topology.queue)?.value).toBe(0);
    await waitFor(() => server.isAttached(), { what: 'the consumer to attach again', timeoutMs: 10_000 });
  });

  it('re-attaches when the broker cancels the consumer', async () => {
    await probe.deleteQueue(topology.queue);
    await sleep(300);
    await waitFor(async () => (await probe.messageCount(topology.queue)) === 0, { what: 'the queue to be declared again', timeoutMs: 10_000 });
    await sleep(300);
    await probe.publish(RoutingKey.RequestCreated, requestCreated('ok:6'));
    await waitFor(() => attemptsOf('ok:6').length === 1, { what: 'ok:6 handled after re-attaching', timeoutMs: 10_000 });
  });

  it('resumes consuming after the connection drops', async () => {
    const manager = server.unwrap<AmqpConnectionManager>();
    const socket = (manager.connection as unknown as { connection: { stream: { destroy(error: Error): void } } }).connection.stream;
    socket.destroy(new Error('simulated network failure'));
    await waitFor(() => !server.isConnected(), { what: 'the consumer to notice the drop' });
    await waitFor(() => server.isConnected(), { what: 'the consumer to reconnect', timeoutMs: 10_000 });
    await sleep(300);
    await probe.publish(RoutingKey.RequestCreated, requestCreated('ok:7'));
    await waitFor(() => attemptsOf('ok:7').length === 1, { what: 'ok:7 handled after reconnecting', timeoutMs: 15_000 });
    expect(server.isConnected()).toBe(true);
  });
});

describe('RmqEventServer shutdown (real RabbitMQ)', () => {
  const namespace = uniqueNamespace('msd');
  const topology = topologyFor(namespace, 'scripted');
  const probe = new BrokerProbe(namespace);

  afterAll(async () => {
    await probe.cleanup(['scripted'], [200, 600]);
    await probe.stop();
  });

  it('stops consuming first, finishes what is in flight, and leaves later messages in the queue untouched', async () => {
    await probe.start();
    const server = new RmqEventServer({ url: process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672', namespace, service: 'scripted', prefetch: 5, retryDelaysMs: [200, 600] });
    const app = await NestFactory.createMicroservice(ScriptedModule, { strategy: server, logger: false });
    await app.listen();
    await waitFor(() => server.isAttached(), { what: 'the consumer to attach' });

    await probe.publish(RoutingKey.RequestCreated, requestCreated('slow:drain'));
    await waitFor(() => attemptsOf('slow:drain').length === 1, { what: 'the slow handler to start' });
    const closing = app.close();
    await waitFor(() => !server.isAttached(), { what: 'the consumer to be cancelled' });
    // The server reports itself detached as it sends the cancel; a message published before the
    // broker has taken it may be on its way when it does, and the broker returns it to the queue
    // marked redelivered (rabbitmq-server#3729): publish the late ones once the cancel is taken.
    await waitFor(async () => (await probe.consumerCount(topology.queue)) === 0, { what: 'the broker to take the cancel' });
    for (let i = 0; i < 3; i++) await probe.publish(RoutingKey.RequestCreated, requestCreated(`ok:late-${i}`));
    await closing;

    // The in-flight message was acked; the late ones never started and wait, undelivered, for the next start.
    expect([0, 1, 2].map((i) => attemptsOf(`ok:late-${i}`).length)).toEqual([0, 0, 0]);
    await waitFor(async () => (await probe.messageCount(topology.queue)) === 3, { what: 'the three late messages to wait in the queue' });
    const waiting = await probe.drain(topology.queue);
    expect(waiting.map((m) => m.fields.redelivered)).toEqual([false, false, false]);
    expect(waiting.map((m) => JSON.parse(m.content.toString()).message).sort()).toEqual(['ok:late-0', 'ok:late-1', 'ok:late-2']);
  });
});

describe('RmqEventServer during a dependency outage (real RabbitMQ)', () => {
  const namespace = uniqueNamespace('mdo');
  const topology = topologyFor(namespace, 'scripted');
  const probe = new BrokerProbe(namespace);
  let server: RmqEventServer;
  let app: INestMicroservice;

  beforeAll(async () => {
    await probe.start();
    server = new RmqEventServer({
      url: process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
      namespace,
      service: 'scripted',
      prefetch: 5,
      retryDelaysMs: [200, 400],
      dependencies: async () => (dependencyDown ? 'database is unreachable (scripted outage)' : null),
      outagePollMs: 200,
    });
    app = await NestFactory.createMicroservice(ScriptedModule, { strategy: server, logger: false });
    await app.listen();
    await waitFor(() => server.isAttached(), { what: 'the consumer to attach' });
  });

  afterAll(async () => {
    dependencyDown = false;
    await app?.close();
    await probe.cleanup(['scripted'], [200, 400]);
    await probe.stop();
  });

  it('spends no attempt on an outage: pauses consuming, waits, then runs the same attempt and resumes', async () => {
    dependencyDown = true;
    const ids = ['needs-dependency:a', 'needs-dependency:b', 'needs-dependency:c'];
    for (const id of ids) await probe.publish(RoutingKey.RequestCreated, requestCreated(id));
    // The first failure pauses consuming; what was already delivered waits in hand, the rest in the queue.
    await waitFor(() => ids.some((id) => attemptsOf(id).length === 1), { what: 'a message tried once' });
    await waitFor(() => !server.isAttached(), { what: 'consuming to pause' });
    // Paused on purpose, not detached: readiness leaves the broker up and names the dependency.
    expect(server.isPaused()).toBe(true);
    await probe.publish(RoutingKey.RequestCreated, requestCreated('ok:during-outage'));
    const checks = server.outageChecks;
    await waitFor(() => server.outageChecks >= checks + 3, { what: 'the paused consumer to look for its dependency three times' });
    expect(ids.every((id) => attemptsOf(id).length <= 1)).toBe(true);
    expect(attemptsOf('ok:during-outage')).toHaveLength(0);
    expect(await probe.messageCount(topology.retryQueue(200))).toBe(0);
    expect(await probe.messageCount(topology.deadLetterQueue)).toBe(0);

    dependencyDown = false;
    const handledDuringOutage = new Set(ids.filter((id) => attemptsOf(id).length === 1));
    const succeeded = (id: string) => attemptsOf(id).length === (handledDuringOutage.has(id) ? 2 : 1);
    await waitFor(() => ids.every(succeeded) && attemptsOf('ok:during-outage').length === 1, { what: 'everything to run once the dependency is back' });
    // Every run was attempt 1: the outage cost no retry budget, and nothing ran more than once after it.
    expect(ids.flatMap((id) => attemptsOf(id).map((h) => h.attempt)).every((a) => a === 1)).toBe(true);
    expect(ids.map((id) => attemptsOf(id).length - (handledDuringOutage.has(id) ? 1 : 0))).toEqual([1, 1, 1]);
    await waitFor(() => server.isAttached(), { what: 'consuming to resume' });
    expect(server.isPaused()).toBe(false);
    await waitFor(async () => (await probe.messageCount(topology.queue)) === 0, { what: 'the queue to drain' });
    expect(await probe.messageCount(topology.deadLetterQueue)).toBe(0);
  });
});

describe('RmqEventServer facing a queue declared with other arguments (real RabbitMQ)', () => {
  const namespace = uniqueNamespace('mtd');
  const topology = topologyFor(namespace, 'scripted');
  const probe = new BrokerProbe(namespace);

  afterAll(async () => {
    await probe.cleanup(['scripted'], [200, 600]);
    await probe.stop();
  });

  it('stops with a message naming the queue, the difference and how to migrate, instead of looping', async () => {
    await probe.start();
    // An older deployment declared the queue as the service does, but with another delivery limit.
    const channel = await (probe as unknown as { connection: import('amqplib').ChannelModel }).connection.createChannel();
    await channel.assertQueue(topology.queue, {
      durable: true,
      arguments: { 'x-queue-type': 'quorum', 'x-delivery-limit': 3, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': topology.deadLetterQueue, 'x-dead-letter-strategy': 'at-least-once', 'x-overflow': 'reject-publish' },
    });
    await channel.close();

    const drifts: string[] = [];
    const server = new RmqEventServer({ url: process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672', namespace, service: 'scripted', prefetch: 5, retryDelaysMs: [200, 600], onTopologyDrift: (message) => drifts.push(message) });
    const app = await NestFactory.createMicroservice(ScriptedModule, { strategy: server, logger: false });
    void app.listen();
    await waitFor(() => drifts[0], { what: 'the drift to be reported' });
    expect(drifts[0]).toContain(`Queue ${topology.queue} exists on the broker with x-delivery-limit`);
    expect(drifts[0]).toMatch(/but this service declares .*10/);
    expect(drifts[0]).toContain(`rabbitmqctl delete_queue ${topology.queue}`);
    expect(server.isAttached()).toBe(false);
    await app.close();
  });
});
