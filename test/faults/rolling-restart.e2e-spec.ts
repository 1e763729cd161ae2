import { queryDatabase, sleep } from '@statex/testing';
import { ALL_APPS, expectClean, FaultPlatform } from './fault-platform';

/**
 * A rolling restart during load: each of the seven services in turn gets SIGTERM, drains, and is
 * started again while leads keep coming. Graceful shutdown stops consuming first, so nothing is cut
 * off, nothing is done twice and no delivery count grows.
 */
describe('faults: a rolling restart of all seven services during load', () => {
  const platform = new FaultPlatform();

  beforeAll(async () => {
    await platform.start();
    platform.smtp.delayMs = 50;
  }, 180_000);

  afterAll(async () => {
    await platform.stop();
  }, 120_000);

  it('loses nothing, duplicates nothing, interrupts no send and redelivers nothing', async () => {
    const restarting = (async () => {
      await sleep(1000);
      for (const app of ALL_APPS) {
        await platform.apps[app].stop('SIGTERM');
        platform.apps[app].start();
        await platform.apps[app].ready(90_000);
      }
    })();
    const ids: string[] = [];
    let batch = 0;
    let done = false;
    void restarting.finally(() => (done = true));
    while (!done) ids.push(...(await platform.burst(`roll-${batch++}`, 10, 10)));
    await restarting;
    ids.push(...(await platform.burst('roll-after', 10, 10)));
    const ledger = await platform.ledger('rolling restart of all seven', ids);
    // Every service drained and exited on SIGTERM by itself (none had to be killed after 15 s).
    expect(Object.fromEntries(ALL_APPS.map((app) => [app, platform.apps[app].forcedStops]))).toEqual(Object.fromEntries(ALL_APPS.map((app) => [app, 0])));
    // A graceful stop sends nothing twice: no send is interrupted.
    const interrupted = await queryDatabase<{ n: number }>(`${platform.namespace}_notification`, "SELECT count(*)::int AS n FROM notification_attempts WHERE error LIKE 'interrupted:%'");
    expect(interrupted).toEqual([{ n: 0 }]);
    // Nothing was cut off mid-handling: no service received a delivery the broker had to hand out again.
    // (Each non-zero series is named, with the service's last output, so a failure says what was cut off.)
    const redelivered = await Promise.all(
      ALL_APPS.map(async (app) => {
        const text = await (await fetch(`${platform.apps[app].url}/metrics`)).text();
        return [...text.matchAll(/^statex_messages_redelivered_total(\{[^}]*\}) (\d+)/gm)].filter((m) => Number(m[2]) > 0).map((m) => `${m[1]} ${m[2]}`);
      }),
    );
    const cutOff = Object.fromEntries(ALL_APPS.flatMap((app, i) => (redelivered[i].length > 0 ? [[app, redelivered[i]]] : [])));
    expect({ cutOff, output: Object.keys(cutOff).length > 0 ? platform.outputs() : '' }).toEqual({ cutOff: {}, output: '' });
    expectClean(ledger);
  }, 900_000);
});
