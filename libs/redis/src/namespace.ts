import Redis from 'ioredis';

/**
 * Deletes every key of a namespace (`<prefix>:…`: BullMQ's queues and jobs, rate-limit counters)
 * and returns how many went. For what owns a namespace for a while and then ends, such as a
 * benchmark run or a test suite: BullMQ keeps finished jobs for days, so a namespace left behind
 * holds its memory in Redis long after its databases and queues are gone. SCAN in batches and
 * UNLINK (freed in Redis's background thread), so a large namespace never blocks the server.
 */
export async function deleteRedisNamespace(url: string, prefix: string): Promise<number> {
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(prefix)) throw new Error(`Not a namespace: ${JSON.stringify(prefix)}`);
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await redis.connect();
  let deleted = 0;
  try {
    const stream = redis.scanStream({ match: `${prefix}:*`, count: 1000 });
    for await (const keys of stream as AsyncIterable<string[]>) {
      if (keys.length > 0) deleted += await redis.unlink(...keys);
    }
  } finally {
    redis.disconnect();
  }
  return deleted;
}
