import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { RoutingKey, type UserRole } from '@statex/contracts';
import { returnedRows } from '@statex/persistence';
import { OneTimeToken, OneTimeTokenKind, RefreshToken, Session, User } from './entities';

export interface UserSearch {
  q?: string;
  role?: UserRole;
  page: number;
  pageSize: number;
}

/** Every database read and write of accounts, sessions and one-time tokens. */
@Injectable()
export class AccountRepository {
  constructor(private readonly dataSource: DataSource) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  findUserByEmail(email: string, manager: EntityManager = this.dataSource.manager): Promise<User | null> {
    return manager.findOne(User, { where: { email: email.toLowerCase() } });
  }

  findUser(id: string, manager: EntityManager = this.dataSource.manager): Promise<User | null> {
    return manager.findOne(User, { where: { id } });
  }

  lockUser(manager: EntityManager, id: string): Promise<User | null> {
    return manager.findOne(User, { where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  /** False when the address is taken (a concurrent registration committed first). */
  async insertUser(manager: EntityManager, user: Omit<User, 'createdAt' | 'updatedAt'>): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      `INSERT INTO users (id, email, name, locale, role, password_hash, email_verified_at, disabled_at, password_changed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (email) DO NOTHING RETURNING id`,
      [user.id, user.email, user.name, user.locale, user.role, user.passwordHash, user.emailVerifiedAt, user.disabledAt, user.passwordChangedAt],
    );
    return rows.length > 0;
  }

  async updateUser(manager: EntityManager, id: string, changes: Partial<Omit<User, 'id' | 'createdAt'>>): Promise<void> {
    await manager.update(User, { id }, { ...changes, updatedAt: new Date() });
  }

  async deleteUser(manager: EntityManager, id: string): Promise<void> {
    // Sessions, refresh tokens and link tokens go with it (ON DELETE CASCADE).
    await manager.delete(User, { id });
    // The outbox's copies of the account's messages (address, name, links): an email not sent yet
    // is not sent to a deleted account; published rows would otherwise stay until they are pruned
    // (OUTBOX_RETENTION_HOURS). Events of the account not published yet still go out: their
    // consumers erase them when user.deleted follows.
    await manager.query(
      `DELETE FROM outbox_messages WHERE correlation_id = $1 AND (published_at IS NOT NULL OR routing_key = $2)`,
      [id, RoutingKey.NotificationRequested],
    );
  }

  async searchUsers(search: UserSearch): Promise<{ items: User[]; total: number }> {
    const query = this.dataSource.manager.createQueryBuilder(User, 'u');
    if (search.role) query.andWhere('u.role = :role', { role: search.role });
    if (search.q) {
      const pattern = `%${search.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      query.andWhere('(u.email ILIKE :pattern OR u.name ILIKE :pattern)', { pattern });
    }
    const [items, total] = await query
      .orderBy('u.created_at', 'DESC')
      .addOrderBy('u.id', 'ASC')
      .skip((search.page - 1) * search.pageSize)
      .take(search.pageSize)
      .getManyAndCount();
    return { items, total };
  }

  countActiveAdmins(manager: EntityManager): Promise<number> {
    return manager.count(User, { where: { role: 'admin', disabledAt: IsNull() } });
  }

  // --- sessions and refresh tokens ---------------------------------------------

  async insertSession(manager: EntityManager, session: Omit<Session, 'createdAt' | 'revokedAt' | 'revokedReason'>, token: Omit<RefreshToken, 'createdAt' | 'rotatedAt'>): Promise<void> {
    await manager.insert(Session, { ...session, revokedAt: null, revokedReason: null });
    await manager.insert(RefreshToken, { ...token, rotatedAt: null });
  }

  /** The token and its session, both locked: two refreshes with one token cannot both win. */
  async lockRefreshToken(manager: EntityManager, tokenHash: string): Promise<{ token: RefreshToken; session: Session } | null> {
    const token = await manager.findOne(RefreshToken, { where: { tokenHash }, lock: { mode: 'pessimistic_write' } });
    if (!token) return null;
    const session = await manager.findOne(Session, { where: { id: token.sessionId }, lock: { mode: 'pessimistic_write' } });
    return session ? { token, session } : null;
  }

  async rotate(manager: EntityManager, old: RefreshToken, next: Omit<RefreshToken, 'createdAt' | 'rotatedAt'>, now: Date): Promise<void> {
    await manager.update(RefreshToken, { id: old.id }, { rotatedAt: now });
    await manager.insert(RefreshToken, { ...next, rotatedAt: null });
    await manager.update(Session, { id: old.sessionId }, { lastUsedAt: now });
  }

  async revokeSession(manager: EntityManager, sessionId: string, reason: string): Promise<void> {
    await manager.update(Session, { id: sessionId, revokedAt: IsNull() }, { revokedAt: new Date(), revokedReason: reason });
  }

  /** Revokes every live session of a user, but `keep` (the caller's own, when changing a password). */
  async revokeSessionsOf(manager: EntityManager, userId: string, reason: string, keep?: string): Promise<number> {
    const query = manager
      .createQueryBuilder()
      .update(Session)
      .set({ revokedAt: () => 'now()', revokedReason: reason })
      .where('user_id = :userId AND revoked_at IS NULL', { userId });
    if (keep) query.andWhere('id <> :keep', { keep });
    const result = await query.execute();
    return result.affected ?? 0;
  }

  liveSessions(userId: string): Promise<Session[]> {
    return this.dataSource.manager
      .createQueryBuilder(Session, 's')
      .where('s.user_id = :userId AND s.revoked_at IS NULL AND s.expires_at > now()', { userId })
      .orderBy('s.last_used_at', 'DESC')
      .getMany();
  }

  findSession(id: string): Promise<Session | null> {
    return this.dataSource.manager.findOne(Session, { where: { id } });
  }

  // --- one-time tokens ----------------------------------------------------------

  /** A new link token; earlier unused ones of the same kind stop working. */
  async issueOneTimeToken(manager: EntityManager, token: Omit<OneTimeToken, 'createdAt' | 'usedAt'>): Promise<void> {
    await manager.update(OneTimeToken, { userId: token.userId, kind: token.kind, usedAt: IsNull() }, { usedAt: new Date() });
    await manager.insert(OneTimeToken, { ...token, usedAt: null });
  }

  /** A token still valid (unknown, used and expired ones are null), without using it up. */
  async findValidOneTimeToken(kind: OneTimeTokenKind, tokenHash: string): Promise<OneTimeToken | null> {
    return this.dataSource.manager
      .createQueryBuilder(OneTimeToken, 't')
      .where('t.token_hash = :tokenHash AND t.kind = :kind AND t.used_at IS NULL AND t.expires_at > now()', { tokenHash, kind })
      .getOne();
  }

  /** Marks a valid token used and returns it; null when unknown, used or expired. */
  async consumeOneTimeToken(manager: EntityManager, kind: OneTimeTokenKind, tokenHash: string): Promise<OneTimeToken | null> {
    const returned = returnedRows<{ id: string; user_id: string }>(
      await manager.query(`UPDATE one_time_tokens SET used_at = now() WHERE token_hash = $1 AND kind = $2 AND used_at IS NULL AND expires_at > now() RETURNING id, user_id`, [tokenHash, kind]),
    );
    if (returned.length === 0) return null;
    return Object.assign(new OneTimeToken(), { id: returned[0].id, userId: returned[0].user_id, kind, tokenHash });
  }
}
