/** Who may do what. `service` is a machine client (client-credentials grant), never a person. */
export const ROLES = ['admin', 'operator', 'client', 'service'] as const;
export type Role = (typeof ROLES)[number];

/** The roles a person's account can hold (`service` is only for machine clients). */
export const USER_ROLES = ['admin', 'operator', 'client'] as const;
export type UserRole = (typeof USER_ROLES)[number];

/** People who run the platform: they see every lead and operate the pipeline. */
export const STAFF_ROLES: Role[] = ['admin', 'operator'];

/** The audience every StateX access token is issued for, unless configured otherwise. */
export const DEFAULT_TOKEN_AUDIENCE = 'statex';

/** The claims of a StateX access token (a JWT signed by user-portal, `kid` in its header). */
export interface AccessTokenClaims {
  sub: string;
  email?: string;
  email_verified?: boolean;
  roles: Role[];
  iss: string;
  aud: string | string[];
  exp: number;
  iat: number;
  nbf?: number;
  /** The session (refresh-token family) a user's token belongs to. */
  sid?: string;
}

/** The one signature algorithm access tokens use (Ed25519). Verifiers allow nothing else. */
export const ACCESS_TOKEN_ALGORITHM = 'EdDSA';
