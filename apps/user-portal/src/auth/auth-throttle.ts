import { Injectable } from '@nestjs/common';
import { RateLimit, RateLimits } from '@statex/redis';
import { UserPortalEnv } from '../user-portal.env';

export type AuthEndpoint = 'login' | 'register' | 'verify' | 'resend' | 'forgot' | 'reset' | 'token';

/** Throttling of the auth endpoints in Redis: per client address, and per account where the request names one. */
@Injectable()
export class AuthThrottle {
  private readonly perIp: RateLimit;
  private readonly perAccount: RateLimit;

  constructor(limits: RateLimits, env: UserPortalEnv) {
    const window = env.AUTH_RATE_LIMIT_WINDOW_S;
    this.perIp = limits.create('auth-ip', env.AUTH_RATE_LIMIT_IP_PER_WINDOW, window, `at most ${env.AUTH_RATE_LIMIT_IP_PER_WINDOW} every ${window} s from one address`);
    this.perAccount = limits.create('auth-account', env.AUTH_RATE_LIMIT_ACCOUNT_PER_WINDOW, window, `at most ${env.AUTH_RATE_LIMIT_ACCOUNT_PER_WINDOW} every ${window} s for one account`);
  }

  async hit(endpoint: AuthEndpoint, ip: string, email?: string): Promise<void> {
    await this.perIp.consume(`${endpoint}:${ip}`);
    if (email) await this.perAccount.consume(`${endpoint}:${email.toLowerCase()}`);
  }

  /** A successful login clears its account's count, so a user who finally typed it right starts afresh. */
  async succeeded(endpoint: AuthEndpoint, email: string): Promise<void> {
    await this.perAccount.reset(`${endpoint}:${email.toLowerCase()}`);
  }
}
