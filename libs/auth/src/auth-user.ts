import type { Role } from '@statex/contracts';

/** Who is calling, as the verified access token says. */
export interface AuthUser {
  /** The user id (or `service:<client id>` for a machine client). */
  id: string;
  email?: string;
  emailVerified: boolean;
  roles: Role[];
  /** The session (refresh-token family) the token was issued for. */
  sessionId?: string;
}

export function hasAnyRole(user: AuthUser, roles: readonly Role[]): boolean {
  return roles.some((role) => user.roles.includes(role));
}
