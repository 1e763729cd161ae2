/**
 * `npm run dlq -- <command>`: the platform's parked messages, from a shell.
 *   list [service]                          every service's dead-letter queue (or one), and the unrouted events
 *   show <service> <messageId>              one message: reason, attempts, first and last failure, payload
 *   replay <service> <messageId|--all>      back into the service's queue, with its message id kept
 *   discard <service> <messageId|--all>     dropped for good
 * `unrouted` is the queue of events no service was bound for; replaying publishes them to the exchange again.
 */
import { BaseEnv, loadEnv } from '@statex/config';
import { ParkedMessages, UNROUTED } from '@statex/messaging';
import { PLATFORM_APPS } from './platform-apps';

const SERVICES = [...PLATFORM_APPS.map((a) => a.app as string), UNROUTED];
const USAGE = `usage: npm run dlq -- list [service] | show <service> <messageId> | replay <service> <messageId|--all> | discard <service> <messageId|--all>
services: ${SERVICES.join(', ')}`;

export class UsageError extends Error {}

/** Runs one command; returns what to print. */
export async function runDlq(args: string[], env: BaseEnv = loadEnv(BaseEnv)): Promise<string> {
  const [command, service, target] = args;
  const parked = new ParkedMessages(env.RABBITMQ_URL, env.RABBITMQ_NAMESPACE);
  const known = (name: string | undefined): string => {
    if (!name || !SERVICES.includes(name)) throw new UsageError(`${name ? `unknown service "${name}"` : 'name a service'}\n${USAGE}`);
    return name;
  };
  const selection = (): string[] | 'all' => {
    if (!target) throw new UsageError(`name a message id, or --all\n${USAGE}`);
    return target === '--all' ? 'all' : [target];
  };
  switch (command) {
    case 'list': {
      const lines: string[] = [];
      for (const name of service ? [known(service)] : SERVICES) {
        const items = await parked.list(name);
        lines.push(`${name} (${parked.queueOf(name)}): ${items.length} parked`);
        for (const m of items) lines.push(`  ${m.messageId}  ${m.routingKey}  attempts ${m.attempts}  parked ${m.parkedAt ?? '?'}  ${m.reason.slice(0, 120)}`);
      }
      return lines.join('\n');
    }
    case 'show': {
      const name = known(service);
      if (!target) throw new UsageError(`name a message id\n${USAGE}`);
      const message = await parked.show(name, target);
      if (!message) throw new UsageError(`no parked message ${target} in ${parked.queueOf(name)}`);
      return JSON.stringify(message, null, 2);
    }
    case 'replay': {
      const name = known(service);
      const ids = await parked.replay(name, selection());
      return `${ids.length} replayed from ${parked.queueOf(name)}${ids.length ? `: ${ids.join(', ')}` : ''}`;
    }
    case 'discard': {
      const name = known(service);
      const ids = await parked.discard(name, selection());
      return `${ids.length} discarded from ${parked.queueOf(name)}${ids.length ? `: ${ids.join(', ')}` : ''}`;
    }
    default:
      throw new UsageError(USAGE);
  }
}

if (require.main === module) {
  runDlq(process.argv.slice(2))
    .then((out) => console.log(out))
    .catch((error: Error) => {
      console.error(error.message);
      process.exit(error instanceof UsageError ? 2 : 1);
    });
}
