import { Injectable, OnModuleInit } from '@nestjs/common';
import argon2 from 'argon2';
import pLimit from 'p-limit';
import { UserPortalEnv } from '../user-portal.env';

/** OWASP's argon2id parameters (19 MiB, t=2, p=1). */
export const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/**
 * argon2id hashing with a bound on how many hashes run at once (PASSWORD_HASH_CONCURRENCY):
 * a burst of logins waits in line instead of taking 19 MiB each and every libuv thread.
 * p-limit queues the rest in order.
 */
@Injectable()
export class PasswordHasher implements OnModuleInit {
  private readonly limit;
  /** Verified against when an address is unknown, so a miss costs what a hit costs. */
  private decoy = '';

  constructor(env: UserPortalEnv) {
    this.limit = pLimit(env.PASSWORD_HASH_CONCURRENCY);
  }

  async onModuleInit(): Promise<void> {
    this.decoy = await this.hash(`decoy-${Math.random()}`);
  }

  hash(password: string): Promise<string> {
    return this.limit(() => argon2.hash(password, ARGON2_OPTIONS));
  }

  /** False for a wrong password; `hash` undefined (unknown account) costs a verification all the same. */
  async verify(hash: string | undefined, password: string): Promise<boolean> {
    const ok = await this.limit(() => argon2.verify(hash ?? this.decoy, password).catch(() => false));
    return hash !== undefined && ok;
  }

  /** A hash made with weaker parameters than today's, to be replaced at the next successful login. */
  needsRehash(hash: string): boolean {
    return argon2.needsRehash(hash, ARGON2_OPTIONS);
  }

  /** What an unknown address costs at registration: one hash, as for a new account. */
  async spendHash(password: string): Promise<void> {
    await this.hash(password);
  }
}
