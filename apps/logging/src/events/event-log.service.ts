import { Injectable, Logger } from '@nestjs/common';
import { accountIdsOf, addressesIn, eraseFromPayload } from './erasure';
import { EventLogRepository, StoredEvent } from './event-log.repository';

/**
 * Writes the event log, and erases an account from it on `user.deleted`. An event of an account
 * already erased (one that arrives late: a retry, a replay, another service's outbox behind) is
 * stored erased.
 */
@Injectable()
export class EventLogService {
  private readonly logger = new Logger(EventLogService.name);

  constructor(private readonly events: EventLogRepository) {}

  /** Stores the event once (by message id). */
  async record(event: StoredEvent): Promise<void> {
    const accounts = accountIdsOf(event);
    if (accounts.length === 0) {
      await this.events.insert(event);
      return;
    }
    await this.events.transaction(async (m) => {
      await this.events.lockAccounts(m, accounts, 'store');
      const erased = await this.events.anyErased(m, accounts);
      await this.events.insert(erased ? { ...event, payload: eraseFromPayload(event.routingKey, event.payload, addressesIn(event.payload)) } : event, m);
    });
  }

  /**
   * `user.deleted`: stored without the address it carries, then every stored event of the
   * account or its address is erased, in one transaction. A redelivery stores nothing and
   * finds nothing left to erase.
   */
  async eraseAccount(event: StoredEvent, account: { userId: string; email: string }): Promise<void> {
    const changed = await this.events.transaction(async (m) => {
      await this.events.lockAccounts(m, [account.userId], 'erase');
      await this.events.insert({ ...event, payload: eraseFromPayload(event.routingKey, event.payload, [account.email]) }, m);
      return this.events.eraseAccount(m, account);
    });
    this.logger.log({ userId: account.userId, events: changed }, 'Deleted account erased from the event log');
  }
}
