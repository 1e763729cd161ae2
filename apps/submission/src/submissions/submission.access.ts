import { ForbiddenException } from '@nestjs/common';
import { AuthUser, hasAnyRole } from '@statex/auth';
import { STAFF_ROLES } from '@statex/contracts';

const sameEmail = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

function isStaff(user: AuthUser | undefined): user is AuthUser {
  return user !== undefined && hasAnyRole(user, STAFF_ROLES);
}

/** The email address a client has proven to own, if any. */
function verifiedClientEmail(user: AuthUser | undefined): string | undefined {
  if (!user?.roles.includes('client') || user.emailVerified !== true || !user.email) return undefined;
  return user.email;
}

/** Staff see every lead in full; a client sees their own lead in full once they verified the email it was sent with. */
export function seesLeadInFull(user: AuthUser | undefined, leadEmail: string): boolean {
  if (isStaff(user)) return true;
  const own = verifiedClientEmail(user);
  return own !== undefined && sameEmail(own, leadEmail);
}

/**
 * The email filter a list request runs with: staff's own choice (or none); for a client, always
 * their verified email. 403 for a client whose email is not verified, or who asks for another's leads.
 */
export function listEmailFilter(user: AuthUser, requested: string | undefined): string | undefined {
  if (isStaff(user)) return requested;
  const own = verifiedClientEmail(user);
  if (!own) {
    throw new ForbiddenException('Verify your email address first: a client sees the leads sent with their verified email, and this account’s email is not verified');
  }
  if (requested !== undefined && !sameEmail(requested, own)) {
    throw new ForbiddenException(`A client can list only the leads sent with their own email address; email=${requested} is not the verified email of this account`);
  }
  return own;
}
