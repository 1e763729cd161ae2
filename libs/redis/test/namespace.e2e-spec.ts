import Redis from 'ioredis';
import { uniqueNamespace } from '@statex/testing';
import { deleteRedisNamespace } from '@statex/redis';

/** What a benchmark or a test suite leaves in Redis goes with it, and nothing of anyone else's. */
describe('deleteRedisNamespace', () => {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const mine = uniqueNamespace('rns');
  const neighbour = `${mine}x`;
  const redis = new Redis(url);

  afterAll(async () => {
    await redis.del(`${neighbour}:kept`, neighbour);
    redis.disconnect();
  });

  it('deletes every key under <prefix>: (more than one SCAN batch), and no key of a namespace that only starts alike', async () => {
    const pipeline = redis.pipeline();
    for (let i = 0; i < 2500; i++) pipeline.set(`${mine}:queue:${i}`, 'x');
    pipeline.hset(`${mine}:ai-steps:meta`, 'k', 'v');
    pipeline.set(`${neighbour}:kept`, 'x');
    pipeline.set(neighbour, 'x');
    await pipeline.exec();

    expect(await deleteRedisNamespace(url, mine)).toBe(2501);
    expect(await redis.keys(`${mine}:*`)).toEqual([]);
    expect(await redis.exists(`${neighbour}:kept`, neighbour)).toBe(2);
  });

  it('refuses what is not a namespace, so no pattern can reach beyond one', async () => {
    await redis.set(`${neighbour}:kept`, 'x');
    for (const prefix of ['', '*', `${mine}*`, 'a:b', '?x']) {
      await expect(deleteRedisNamespace(url, prefix)).rejects.toThrow(/Not a namespace/);
    }
    expect(await redis.exists(`${neighbour}:kept`)).toBe(1);
  });
});
