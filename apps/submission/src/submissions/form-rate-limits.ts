import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { RateLimit, RateLimits } from '@statex/redis';
import { SubmissionEnv } from '../submission.env';

const MINUTE = 60;

/**
 * SUBMISSION_RATE_LIMIT_PER_MINUTE contact forms per minute from one client address, and as many
 * for one email address, counted in Redis. 0 switches both off.
 */
@Injectable()
export class FormRateLimits {
  private readonly byAddress?: RateLimit;
  private readonly byEmail?: RateLimit;

  constructor(limits: RateLimits, env: SubmissionEnv) {
    const perMinute = env.SUBMISSION_RATE_LIMIT_PER_MINUTE;
    if (perMinute <= 0) return;
    this.byAddress = limits.create('submission-form-address', perMinute, MINUTE, `at most ${perMinute} contact forms per minute from one address`);
    this.byEmail = limits.create('submission-form-email', perMinute, MINUTE, `at most ${perMinute} contact forms per minute for one email address`);
  }

  /** Counts a form from this client address (before its body is read); 429 over the limit. */
  async countAddress(ip: string): Promise<void> {
    await this.byAddress?.consume(ip);
  }

  /** Counts a new submission for this email address, whatever its letter case; 429 over the limit. */
  async countEmail(email: string): Promise<void> {
    // Hashed: Redis keys need not hold the lead's address.
    await this.byEmail?.consume(createHash('sha256').update(email.trim().toLowerCase()).digest('hex'));
  }
}
