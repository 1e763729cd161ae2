import { Inject, Injectable, ServiceUnavailableException, UnauthorizedException } from '@nestjs/common';
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { LRUCache } from 'lru-cache';
import { BaseEnv } from '@statex/config';
import { ACCESS_TOKEN_ALGORITHM, Role, ROLES } from '@statex/contracts';
import type { AuthUser } from './auth-user';

/** Where verification keys come from: user-portal's JWKS over HTTP, or user-portal's own key store. */
export const KEY_RESOLVER = Symbol('KEY_RESOLVER');
export type KeyResolver = JWTVerifyGetKey;

/** The JWKS URL every service but user-portal verifies against. */
export function jwksUrlOf(env: BaseEnv): string {
  return env.AUTH_JWKS_URL || `${env.USER_PORTAL_URL.replace(/\/$/, '')}/.well-known/jwks.json`;
}

/**
 * user-portal's keys over HTTP: cached (10 min), refetched once when a token names an unknown
 * `kid` (a key rotated in), at most every 2 s so forged kids cannot hammer user-portal.
 */
export function remoteKeyResolver(env: BaseEnv): KeyResolver {
  return createRemoteJWKSet(new URL(jwksUrlOf(env)), { cacheMaxAge: 10 * 60_000, cooldownDuration: 2_000, timeoutDuration: 5_000 });
}

/** Clock skew allowed on `exp` and `nbf`. */
export const CLOCK_TOLERANCE_S = 30;

const REASONS: Record<string, string> = {
  ERR_JWT_EXPIRED: 'the access token has expired',
  ERR_JOSE_ALG_NOT_ALLOWED: `the token's algorithm is not allowed (only ${ACCESS_TOKEN_ALGORITHM})`,
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: "the token's signature is invalid",
  ERR_JWKS_NO_MATCHING_KEY: 'the token was signed with an unknown key',
  ERR_JWKS_MULTIPLE_MATCHING_KEYS: 'the token names no key id (kid)',
  ERR_JWS_INVALID: 'the token is malformed',
  ERR_JWT_INVALID: 'the token is malformed',
  ERR_JOSE_NOT_SUPPORTED: 'the token uses an unsupported algorithm',
};

/**
 * Verifies StateX access tokens locally: signature against user-portal's keys (EdDSA only:
 * never `none`, never HMAC), `iss`, `aud`, `exp` and `nbf` with a small leeway, and the claims
 * every token must carry. Throws 401 naming the problem, or 503 when no key can be had.
 */
@Injectable()
export class TokenVerifier {
  /**
   * Tokens already verified, by their exact text, until they expire and for at most a minute: a
   * client reuses its token for every call, and the signature check is most of what the guard
   * costs. Any change to a token's bytes misses the cache; a key withdrawn from the JWKS stops
   * being trusted within the minute.
   */
  private readonly verified = new LRUCache<string, AuthUser>({ max: 10_000, ttl: 60_000, ttlAutopurge: false });

  constructor(
    @Inject(KEY_RESOLVER) private readonly keys: KeyResolver,
    private readonly env: BaseEnv,
  ) {}

  async verify(token: string): Promise<AuthUser> {
    const cached = this.verified.get(token);
    if (cached) return cached;
    const user = await this.check(token);
    const secondsLeft = user.expiresAt - Math.floor(Date.now() / 1000);
    if (secondsLeft > 1) this.verified.set(token, user, { ttl: Math.min(60, secondsLeft - 1) * 1000 });
    return user;
  }

  private async check(token: string): Promise<AuthUser & { expiresAt: number }> {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        algorithms: [ACCESS_TOKEN_ALGORITHM],
        issuer: this.env.AUTH_ISSUER,
        audience: this.env.AUTH_AUDIENCE,
        clockTolerance: CLOCK_TOLERANCE_S,
        requiredClaims: ['sub', 'exp', 'iat'],
      }));
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') {
        const { claim } = error as { claim?: string };
        throw new UnauthorizedException(`Invalid access token: the "${claim}" claim is not what this service accepts`);
      }
      if (code && REASONS[code]) throw new UnauthorizedException(`Invalid access token: ${REASONS[code]}`);
      if (code === 'ERR_JWKS_TIMEOUT' || !code) {
        throw new ServiceUnavailableException(`Cannot verify access tokens right now: the key set of user-portal is unreachable (${(error as Error).message})`);
      }
      throw new UnauthorizedException('Invalid access token');
    }
    const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is Role => (ROLES as readonly unknown[]).includes(r)) : [];
    return {
      id: String(payload.sub),
      email: typeof payload.email === 'string' ? payload.email : undefined,
      emailVerified: payload.email_verified === true,
      roles,
      sessionId: typeof payload.sid === 'string' ? payload.sid : undefined,
      expiresAt: Number(payload.exp),
    };
  }
}
