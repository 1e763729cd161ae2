import { BadRequestException } from '@nestjs/common';
import type { dictionary as Dictionary } from '@zxcvbn-ts/language-common';

/** NIST SP 800-63B / ASVS 5.0 length rules: at least 8, at least 64 allowed; no composition rules. */
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;

let common: Set<string> | undefined;

/**
 * The 49,000 most common passwords, from @zxcvbn-ts/language-common, shipped with the project.
 * Read on the first password checked: the package's lists and the set take several MB that a
 * user-portal which only signs people in never needs (docs/benchmarks.md, footprint).
 */
function commonPasswords(): Set<string> {
  if (!common) {
    const { dictionary } = require('@zxcvbn-ts/language-common') as { dictionary: typeof Dictionary };
    common = new Set((dictionary as Record<string, string[]>)['passwords-common'].map((p) => p.toLowerCase()));
  }
  return common;
}

/** Throws 400 naming the problem when a new password is too short, too long, common, or the account's own address. */
export function checkPassword(password: string, email?: string, field = 'password'): void {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) throw problem(field, `${field} must be at least ${PASSWORD_MIN_LENGTH} characters`);
  if (length > PASSWORD_MAX_LENGTH) throw problem(field, `${field} must be at most ${PASSWORD_MAX_LENGTH} characters`);
  const lowered = password.toLowerCase();
  if (commonPasswords().has(lowered)) throw problem(field, `${field} is on the list of common passwords; choose a less predictable one (a few unrelated words work well)`);
  if (email && (lowered === email.toLowerCase() || lowered === email.split('@')[0].toLowerCase())) {
    throw problem(field, `${field} must not be your email address`);
  }
}

function problem(field: string, message: string): BadRequestException {
  return new BadRequestException({ statusCode: 400, error: 'Bad Request', message, errors: [{ field, messages: [message] }] });
}
