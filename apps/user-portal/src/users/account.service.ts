import { randomUUID, timingSafeEqual } from 'node:crypto';
import { BadRequestException, ConflictException, Injectable, Logger, NotFoundException, UnauthorizedException } from '@nestjs/common';
import type { AuthUser } from '@statex/auth';
import { Locale, RoutingKey } from '@statex/contracts';
import { OutboxService } from '@statex/messaging';
import { AccountMail } from '../accounts/account-mail';
import { AfterAnswer } from '../accounts/after-answer';
import { AccountRepository } from '../accounts/account.repository';
import { User } from '../accounts/entities';
import { digest, newSecret } from '../accounts/secrets';
import { AuthThrottle } from '../auth/auth-throttle';
import { ServiceTokenDto } from '../auth/auth.dto';
import { ClientMeta } from '../auth/session.service';
import { TokenIssuer } from '../auth/token-issuer';
import { PasswordHasher } from '../passwords/password-hasher';
import { checkPassword } from '../passwords/password-policy';
import { UserPortalEnv } from '../user-portal.env';
import { AdminUpdateUserDto, UpdateMeDto, UserDto, UserPageDto, UserQuery, userView } from './users.dto';

const HOUR_MS = 3600_000;

/**
 * Accounts: registration and verification, password reset and change, the user's own profile,
 * administration, the first admin, and machine clients. Answers that could reveal whether an
 * address has an account (register, resend, forgot) are the same either way.
 */
@Injectable()
export class AccountService {
  private readonly logger = new Logger(AccountService.name);

  constructor(
    private readonly accounts: AccountRepository,
    private readonly hasher: PasswordHasher,
    private readonly mail: AccountMail,
    private readonly outbox: OutboxService,
    private readonly throttle: AuthThrottle,
    private readonly issuer: TokenIssuer,
    private readonly afterAnswer: AfterAnswer,
    private readonly env: UserPortalEnv,
  ) {}

  async register(input: { email: string; password: string; name: string; locale?: Locale }, client: ClientMeta): Promise<void> {
    await this.throttle.hit('register', client.ip, input.email);
    checkPassword(input.password, input.email);
    const existing = await this.accounts.findUserByEmail(input.email);
    if (existing) {
      // Same answer and about the same cost as a new account; the owner hears of it by email.
      await this.hasher.spendHash(input.password);
      await this.accounts.transaction(async (m) => {
        if (existing.emailVerifiedAt) {
          await this.mail.send(m, existing, 'account-exists', { name: existing.name, forgotPasswordUrl: this.mail.link('forgot-password') });
        } else {
          await this.sendVerification(m, existing);
        }
      });
      return;
    }
    const passwordHash = await this.hasher.hash(input.password);
    const now = new Date();
    const user = Object.assign(new User(), {
      id: randomUUID(),
      email: input.email.toLowerCase(),
      name: input.name,
      locale: input.locale ?? 'en',
      role: 'client' as const,
      passwordHash,
      emailVerifiedAt: null,
      disabledAt: null,
      passwordChangedAt: null,
    });
    await this.accounts.transaction(async (m) => {
      if (!(await this.accounts.insertUser(m, user))) return; // a concurrent registration of the same address won
      await this.outbox.add(m, RoutingKey.UserRegistered, { userId: user.id, email: user.email, locale: user.locale, registeredAt: now.toISOString() }, { correlationId: user.id });
      await this.sendVerification(m, user);
    });
  }

  /** The answer leaves before the address is even looked up: known or not, it takes the same time. */
  async resendVerification(email: string, client: ClientMeta): Promise<void> {
    await this.throttle.hit('resend', client.ip, email);
    this.afterAnswer.run('Resending the verification email', async () => {
      const user = await this.accounts.findUserByEmail(email);
      if (!user || user.emailVerifiedAt) return;
      await this.accounts.transaction((m) => this.sendVerification(m, user));
    });
  }

  async verify(token: string, client: ClientMeta): Promise<void> {
    await this.throttle.hit('verify', client.ip);
    const verified = await this.accounts.transaction(async (m) => {
      const used = await this.accounts.consumeOneTimeToken(m, 'verify_email', digest(token));
      if (!used) return null;
      const user = await this.accounts.lockUser(m, used.userId);
      if (!user) return null;
      if (!user.emailVerifiedAt) {
        const now = new Date();
        await this.accounts.updateUser(m, user.id, { emailVerifiedAt: now });
        await this.outbox.add(m, RoutingKey.UserVerified, { userId: user.id, email: user.email, verifiedAt: now.toISOString() }, { correlationId: user.id });
      }
      return user;
    });
    if (!verified) throw new BadRequestException('The verification link is invalid, already used or expired; ask for a new one (POST /api/auth/resend-verification)');
  }

  /** The answer leaves before the address is even looked up: known or not, it takes the same time. */
  async forgotPassword(email: string, client: ClientMeta): Promise<void> {
    await this.throttle.hit('forgot', client.ip, email);
    this.afterAnswer.run('Sending the password-reset email', () => this.sendReset(email));
  }

  private async sendReset(email: string): Promise<void> {
    const user = await this.accounts.findUserByEmail(email);
    if (!user || user.disabledAt) return;
    const token = newSecret();
    await this.accounts.transaction(async (m) => {
      await this.accounts.issueOneTimeToken(m, {
        id: randomUUID(),
        userId: user.id,
        kind: 'reset_password',
        tokenHash: digest(token),
        expiresAt: new Date(Date.now() + this.env.AUTH_RESET_TOKEN_TTL_MINUTES * 60_000),
      });
      await this.mail.send(m, user, 'password-reset', { name: user.name, resetUrl: this.mail.link('reset-password', token), expiresInMinutes: this.env.AUTH_RESET_TOKEN_TTL_MINUTES });
    });
  }

  /**
   * A reset proves the mailbox: the address counts as verified, and every session ends. A new
   * password that is refused leaves the link usable: the token is used up only with the change.
   */
  async resetPassword(token: string, password: string, client: ClientMeta): Promise<void> {
    await this.throttle.hit('reset', client.ip);
    checkPassword(password);
    const invalid = () => new BadRequestException('The reset link is invalid, already used or expired; ask for a new one (POST /api/auth/forgot-password)');
    const found = await this.accounts.findValidOneTimeToken('reset_password', digest(token));
    const owner = found ? await this.accounts.findUser(found.userId) : null;
    if (!owner) throw invalid();
    checkPassword(password, owner.email);
    const passwordHash = await this.hasher.hash(password);
    await this.accounts.transaction(async (m) => {
      // Used up here, in the transaction of the change: of two resets with one link, one wins.
      const used = await this.accounts.consumeOneTimeToken(m, 'reset_password', digest(token));
      const user = used && used.userId === owner.id ? await this.accounts.lockUser(m, used.userId) : null;
      if (!user) throw invalid();
      const now = new Date();
      await this.accounts.updateUser(m, user.id, { passwordHash, passwordChangedAt: now, emailVerifiedAt: user.emailVerifiedAt ?? now });
      await this.accounts.revokeSessionsOf(m, user.id, 'password_reset');
      await this.outbox.add(m, RoutingKey.UserPasswordChanged, { userId: user.id, via: 'reset', changedAt: now.toISOString() }, { correlationId: user.id });
      await this.mail.send(m, user, 'password-changed', { name: user.name, forgotPasswordUrl: this.mail.link('forgot-password') });
    });
  }

  /** Needs the current password; the caller's other sessions end, this one goes on. */
  async changePassword(caller: AuthUser, currentPassword: string, newPassword: string): Promise<void> {
    const user = await this.requireUser(caller);
    if (!(await this.hasher.verify(user.passwordHash, currentPassword))) {
      throw new BadRequestException({ statusCode: 400, error: 'Bad Request', message: 'currentPassword is wrong', errors: [{ field: 'currentPassword', messages: ['currentPassword is wrong'] }] });
    }
    checkPassword(newPassword, user.email, 'newPassword');
    const passwordHash = await this.hasher.hash(newPassword);
    await this.accounts.transaction(async (m) => {
      const now = new Date();
      await this.accounts.updateUser(m, user.id, { passwordHash, passwordChangedAt: now });
      await this.accounts.revokeSessionsOf(m, user.id, 'password_changed', caller.sessionId);
      await this.outbox.add(m, RoutingKey.UserPasswordChanged, { userId: user.id, via: 'change', changedAt: now.toISOString() }, { correlationId: user.id });
      await this.mail.send(m, user, 'password-changed', { name: user.name, forgotPasswordUrl: this.mail.link('forgot-password') });
    });
  }

  async me(caller: AuthUser): Promise<UserDto> {
    return userView(await this.requireUser(caller));
  }

  async updateMe(caller: AuthUser, changes: UpdateMeDto): Promise<UserDto> {
    const user = await this.requireUser(caller);
    await this.accounts.transaction((m) => this.accounts.updateUser(m, user.id, { ...(changes.name ? { name: changes.name } : {}), ...(changes.locale ? { locale: changes.locale } : {}) }));
    return this.me(caller);
  }

  async deleteMe(caller: AuthUser): Promise<void> {
    await this.delete(await this.requireUser(caller), 'self');
  }

  // --- administration ----------------------------------------------------------

  async search(query: UserQuery): Promise<UserPageDto> {
    const page = query.page ?? 1;
    const pageSize = query.pageSize ?? 20;
    const { items, total } = await this.accounts.searchUsers({ q: query.q, role: query.role, page, pageSize });
    return { items: items.map(userView), page, pageSize, total };
  }

  async adminUpdate(caller: AuthUser, id: string, changes: AdminUpdateUserDto): Promise<UserDto> {
    await this.accounts.transaction(async (m) => {
      const user = await this.accounts.lockUser(m, id);
      if (!user) throw new NotFoundException(`No user ${id}`);
      const losesAdmin = user.role === 'admin' && ((changes.role && changes.role !== 'admin') || changes.disabled === true);
      if (losesAdmin && (await this.accounts.countActiveAdmins(m)) <= 1) {
        throw new ConflictException('This is the last active admin: make another admin first');
      }
      const update: Partial<User> = {};
      if (changes.role) update.role = changes.role;
      if (changes.disabled !== undefined) update.disabledAt = changes.disabled ? (user.disabledAt ?? new Date()) : null;
      await this.accounts.updateUser(m, id, update);
      if (changes.disabled) await this.accounts.revokeSessionsOf(m, id, 'account_disabled');
      // A role change takes effect at the next refresh; ending the sessions makes it immediate for refresh tokens.
      if (changes.role && changes.role !== user.role) await this.accounts.revokeSessionsOf(m, id, 'role_changed');
      this.logger.log({ adminId: caller.id, userId: id, changes }, 'User changed by an admin');
    });
    const updated = await this.accounts.findUser(id);
    return userView(updated!);
  }

  async adminDelete(caller: AuthUser, id: string): Promise<void> {
    const user = await this.accounts.findUser(id);
    if (!user) throw new NotFoundException(`No user ${id}`);
    await this.delete(user, 'admin', caller.id);
  }

  /** The first admin from ADMIN_EMAIL / ADMIN_PASSWORD, created once; an existing account is left as it is. */
  async ensureAdmin(): Promise<'created' | 'exists'> {
    const email = this.env.ADMIN_EMAIL.toLowerCase();
    if (await this.accounts.findUserByEmail(email)) return 'exists';
    const passwordHash = await this.hasher.hash(this.env.ADMIN_PASSWORD);
    const now = new Date();
    const created = await this.accounts.transaction((m) =>
      this.accounts.insertUser(m, { id: randomUUID(), email, name: this.env.ADMIN_NAME, locale: 'en', role: 'admin', passwordHash, emailVerifiedAt: now, disabledAt: null, passwordChangedAt: null }),
    );
    return created ? 'created' : 'exists';
  }

  /** OAuth 2.0 client credentials for machine clients (AUTH_SERVICE_CLIENTS): a `service` token, no refresh token. */
  async clientCredentials(clientId: string, secret: string, client: ClientMeta): Promise<ServiceTokenDto> {
    await this.throttle.hit('token', client.ip);
    const configured = new Map(
      this.env.AUTH_SERVICE_CLIENTS.split(',')
        .filter(Boolean)
        .map((pair) => [pair.slice(0, pair.indexOf(':')), pair.slice(pair.indexOf(':') + 1)] as const),
    );
    const expected = configured.get(clientId);
    const matches = expected !== undefined && timingSafeEqual(Buffer.from(digest(expected)), Buffer.from(digest(secret)));
    if (!matches) throw new UnauthorizedException('Unknown client or wrong secret');
    const accessToken = await this.issuer.access({ sub: `service:${clientId}`, roles: ['service'] });
    return { accessToken, tokenType: 'Bearer', expiresIn: this.issuer.ttlSeconds };
  }

  private async delete(user: User, by: 'self' | 'admin', adminId?: string): Promise<void> {
    await this.accounts.transaction(async (m) => {
      if (user.role === 'admin' && !user.disabledAt && (await this.accounts.countActiveAdmins(m)) <= 1) {
        throw new ConflictException('This is the last active admin: make another admin first');
      }
      await this.accounts.deleteUser(m, user.id);
      // The address goes with the event: notification and logging erase what they hold for it.
      await this.outbox.add(m, RoutingKey.UserDeleted, { userId: user.id, email: user.email, by, deletedAt: new Date().toISOString() }, { correlationId: user.id });
    });
    this.logger.log({ userId: user.id, by, adminId }, 'Account deleted');
  }

  private async requireUser(caller: AuthUser): Promise<User> {
    const user = await this.accounts.findUser(caller.id);
    if (!user) throw new NotFoundException('This account no longer exists');
    return user;
  }

  private async sendVerification(m: Parameters<AccountRepository['issueOneTimeToken']>[0], user: User): Promise<void> {
    const token = newSecret();
    await this.accounts.issueOneTimeToken(m, {
      id: randomUUID(),
      userId: user.id,
      kind: 'verify_email',
      tokenHash: digest(token),
      expiresAt: new Date(Date.now() + this.env.AUTH_VERIFICATION_TOKEN_TTL_HOURS * HOUR_MS),
    });
    await this.mail.send(m, user, 'account-verification', { name: user.name, verifyUrl: this.mail.link('verify-email', token), expiresInHours: this.env.AUTH_VERIFICATION_TOKEN_TTL_HOURS });
  }
}
