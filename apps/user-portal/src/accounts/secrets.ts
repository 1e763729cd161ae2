import { createHash, randomBytes } from 'node:crypto';

/** A new opaque token (refresh token, link token): 256 random bits. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** What is stored of an opaque token: its SHA-256 (the token has 256 bits of entropy, so no salt or slow hash is needed). */
export function digest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
