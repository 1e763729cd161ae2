import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { SignJWT } from 'jose';
import { ACCESS_TOKEN_ALGORITHM, Role } from '@statex/contracts';
import { SigningKeys } from '../keys/signing-keys.service';
import { UserPortalEnv } from '../user-portal.env';

export interface AccessClaims {
  sub: string;
  email?: string;
  emailVerified?: boolean;
  roles: Role[];
  sessionId?: string;
}

/** Signs access tokens with the current key: `kid` in the header; `iss`, `aud`, `exp`, `nbf`, `iat`, `jti` in the payload. */
@Injectable()
export class TokenIssuer {
  constructor(
    private readonly keys: SigningKeys,
    private readonly env: UserPortalEnv,
  ) {}

  get ttlSeconds(): number {
    return this.env.AUTH_ACCESS_TOKEN_TTL_S;
  }

  async access(claims: AccessClaims): Promise<string> {
    const { kid, key } = await this.keys.current();
    const now = Math.floor(Date.now() / 1000);
    const payload: Record<string, unknown> = { roles: claims.roles };
    if (claims.email !== undefined) payload.email = claims.email;
    if (claims.emailVerified !== undefined) payload.email_verified = claims.emailVerified;
    if (claims.sessionId) payload.sid = claims.sessionId;
    return new SignJWT(payload)
      .setProtectedHeader({ alg: ACCESS_TOKEN_ALGORITHM, kid, typ: 'JWT' })
      .setSubject(claims.sub)
      .setIssuer(this.env.AUTH_ISSUER)
      .setAudience(this.env.AUTH_AUDIENCE)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + this.env.AUTH_ACCESS_TOKEN_TTL_S)
      .setJti(randomUUID())
      .sign(key);
  }
}
