/** What an erased address (or what a message said to it) reads as in the event log. */
export const ERASED = '[erased]';

/** The events whose payloads can name an account or its address: the account's own, and the messages sent for it. */
export function canNameAnAccount(routingKey: string): boolean {
  return routingKey.startsWith('user.') || routingKey.startsWith('notification.');
}

/**
 * The account ids an event can belong to: its correlation id (user-portal correlates by user id)
 * and a `userId` field. A lead journey's own message (`journey: true`: the acknowledgement and the
 * results) is correlated by its submission, which is no account, so only a `userId` would count:
 * such an event is stored without waiting on erasures, the two a lead sends a statement each
 * where they were a five-statement transaction (a lock and a look for an account that cannot be).
 * Its address is still erased with an account's, by address, when that account is deleted.
 */
export function accountIdsOf(event: { routingKey: string; correlationId: string | null; payload: unknown }): string[] {
  if (!canNameAnAccount(event.routingKey)) return [];
  const payload = event.payload as { userId?: unknown; journey?: unknown } | null;
  const correlated = payload?.journey === true ? null : event.correlationId;
  return [...new Set([correlated, typeof payload?.userId === 'string' ? payload.userId : null].filter((id): id is string => Boolean(id)))];
}

/** The addresses an event's payload names in its own fields (`email`, `recipient`). */
export function addressesIn(payload: unknown): string[] {
  const fields = (payload ?? {}) as { email?: unknown; recipient?: unknown };
  return [fields.email, fields.recipient].filter((value): value is string => typeof value === 'string' && value.length > 0);
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function replaceMentions(value: unknown, mentions: RegExp | null, depth = 0): unknown {
  if (typeof value === 'string') return mentions ? value.replace(mentions, ERASED) : value;
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => replaceMentions(item, mentions, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, replaceMentions(item, mentions, depth + 1)]));
}

/**
 * A stored event's payload without the personal data of an erased account: its address fields
 * (`email`, `recipient`), what a notification said (`data` with the names and links, a manual
 * task's `text`), and the address wherever else it is written (a failure reason). Ids, the
 * template, the channel and the times stay, so the event still counts.
 */
export function eraseFromPayload(routingKey: string, payload: unknown, addresses: string[]): Record<string, unknown> {
  const wanted = addresses.filter((a) => a && a !== ERASED);
  const mentions = wanted.length > 0 ? new RegExp(wanted.map(escapeRegExp).join('|'), 'gi') : null;
  const out = replaceMentions(payload ?? {}, mentions) as Record<string, unknown>;
  if (typeof out !== 'object' || out === null || Array.isArray(out)) return {};
  if ('email' in out) out.email = ERASED;
  if ('recipient' in out) out.recipient = ERASED;
  if (routingKey.startsWith('notification.')) {
    if ('data' in out) out.data = {};
    if ('text' in out) out.text = ERASED;
  }
  return out;
}
