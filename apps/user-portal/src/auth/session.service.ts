import { randomUUID } from 'node:crypto';
import { ForbiddenException, Injectable, Logger, NotFoundException, UnauthorizedException } from '@nestjs/common';
import type { AuthUser } from '@statex/auth';
import { AccountMail } from '../accounts/account-mail';
import { AccountRepository } from '../accounts/account.repository';
import { Session, User } from '../accounts/entities';
import { digest, newSecret } from '../accounts/secrets';
import { PasswordHasher } from '../passwords/password-hasher';
import { UserPortalEnv } from '../user-portal.env';
import { SessionDto, TokenPairDto } from './auth.dto';
import { AuthThrottle } from './auth-throttle';
import { TokenIssuer } from './token-issuer';

export interface ClientMeta {
  ip: string;
  userAgent?: string;
}

const WRONG_CREDENTIALS = 'Wrong email or password';
const DAY_MS = 24 * 3600_000;

/**
 * Sign-in and sessions. A session is a family of refresh tokens: each refresh rotates the token;
 * presenting one that was already rotated means it was copied, so the whole family is revoked and
 * the user is told by email (the model of GoTrue's refresh-token families).
 */
@Injectable()
export class SessionService {
  private readonly logger = new Logger(SessionService.name);

  constructor(
    private readonly accounts: AccountRepository,
    private readonly hasher: PasswordHasher,
    private readonly issuer: TokenIssuer,
    private readonly throttle: AuthThrottle,
    private readonly mail: AccountMail,
    private readonly env: UserPortalEnv,
  ) {}

  /** The same 401, in about the same time, for an unknown address and a wrong password. */
  async login(email: string, password: string, client: ClientMeta): Promise<TokenPairDto> {
    await this.throttle.hit('login', client.ip, email);
    const user = await this.accounts.findUserByEmail(email);
    const ok = await this.hasher.verify(user?.passwordHash, password);
    if (!user || !ok) throw new UnauthorizedException(WRONG_CREDENTIALS);
    if (user.disabledAt) throw new ForbiddenException('This account is disabled; ask an administrator');
    await this.throttle.succeeded('login', email);
    if (this.hasher.needsRehash(user.passwordHash)) {
      const passwordHash = await this.hasher.hash(password);
      await this.accounts.transaction((m) => this.accounts.updateUser(m, user.id, { passwordHash }));
    }
    return this.startSession(user, client);
  }

  async startSession(user: User, client: ClientMeta): Promise<TokenPairDto> {
    const now = new Date();
    const sessionId = randomUUID();
    const refreshToken = newSecret();
    await this.accounts.transaction((m) =>
      this.accounts.insertSession(
        m,
        { id: sessionId, userId: user.id, userAgent: client.userAgent?.slice(0, 300) ?? null, ip: client.ip, lastUsedAt: now, expiresAt: new Date(now.getTime() + this.env.AUTH_REFRESH_TOKEN_TTL_DAYS * DAY_MS) },
        { id: randomUUID(), sessionId, tokenHash: digest(refreshToken), parentId: null },
      ),
    );
    return this.pair(user, sessionId, refreshToken);
  }

  async refresh(refreshToken: string): Promise<TokenPairDto> {
    const now = new Date();
    const outcome = await this.accounts.transaction(async (m) => {
      const found = await this.accounts.lockRefreshToken(m, digest(refreshToken));
      if (!found) return { refused: 'The refresh token is not valid' } as const;
      const { token, session } = found;
      if (session.revokedAt) return { refused: 'This session has ended; sign in again' } as const;
      const user = await this.accounts.findUser(session.userId, m);
      if (token.rotatedAt) {
        // A rotated token presented again: whoever holds the family, it is no longer only its owner.
        await this.accounts.revokeSession(m, session.id, 'refresh_token_reuse');
        if (user) await this.mail.send(m, user, 'session-reuse-alert', { name: user.name, at: now.toISOString(), ip: session.ip ?? undefined, device: session.userAgent ?? undefined });
        this.logger.warn({ userId: session.userId, sessionId: session.id }, 'Refresh token reused: session revoked');
        return { refused: 'This refresh token was already used; the session has been revoked for safety. Sign in again' } as const;
      }
      const idleSince = session.lastUsedAt.getTime() + this.env.AUTH_REFRESH_IDLE_TIMEOUT_S * 1000;
      if (session.expiresAt <= now || idleSince <= now.getTime()) {
        await this.accounts.revokeSession(m, session.id, 'expired');
        return { refused: 'This session has expired; sign in again' } as const;
      }
      if (!user || user.disabledAt) {
        await this.accounts.revokeSession(m, session.id, 'account_disabled');
        return { refused: 'This account can no longer sign in' } as const;
      }
      const next = newSecret();
      await this.accounts.rotate(m, token, { id: randomUUID(), sessionId: session.id, tokenHash: digest(next), parentId: token.id }, now);
      return { user, sessionId: session.id, next } as const;
    });
    if ('refused' in outcome) throw new UnauthorizedException(outcome.refused);
    return this.pair(outcome.user, outcome.sessionId, outcome.next);
  }

  /** Ends the session the refresh token belongs to. Unknown tokens end nothing and say nothing. */
  async logout(refreshToken: string): Promise<void> {
    await this.accounts.transaction(async (m) => {
      const found = await this.accounts.lockRefreshToken(m, digest(refreshToken));
      if (found) await this.accounts.revokeSession(m, found.session.id, 'logout');
    });
  }

  async logoutEverywhere(user: AuthUser): Promise<number> {
    return this.accounts.transaction((m) => this.accounts.revokeSessionsOf(m, user.id, 'logout_all'));
  }

  async list(user: AuthUser): Promise<SessionDto[]> {
    const sessions = await this.accounts.liveSessions(user.id);
    return sessions.map((s) => view(s, user.sessionId));
  }

  async revoke(user: AuthUser, sessionId: string): Promise<void> {
    const session = await this.accounts.findSession(sessionId);
    if (!session || session.userId !== user.id) throw new NotFoundException(`You have no session ${sessionId}`);
    await this.accounts.transaction((m) => this.accounts.revokeSession(m, sessionId, 'revoked_by_user'));
  }

  private async pair(user: User, sessionId: string, refreshToken: string): Promise<TokenPairDto> {
    const accessToken = await this.issuer.access({ sub: user.id, email: user.email, emailVerified: user.emailVerifiedAt !== null, roles: [user.role], sessionId });
    return { accessToken, refreshToken, tokenType: 'Bearer', expiresIn: this.issuer.ttlSeconds };
  }
}

function view(s: Session, current?: string): SessionDto {
  return {
    id: s.id,
    device: s.userAgent ?? undefined,
    ip: s.ip ?? undefined,
    createdAt: s.createdAt.toISOString(),
    lastUsedAt: s.lastUsedAt.toISOString(),
    expiresAt: s.expiresAt.toISOString(),
    current: s.id === current,
  };
}
