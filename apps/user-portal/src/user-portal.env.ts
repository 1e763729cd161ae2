import { IsEmail, IsInt, IsNotEmpty, IsString, IsUrl, Matches, Max, MaxLength, Min, MinLength, ValidateBy } from 'class-validator';
import { DatabaseEnv, NumberFromEnv } from '@statex/config';

/** The development defaults of `.env.example`: fine on a laptop, refused in production. */
export const DEV_ADMIN_PASSWORD = 'StateX-dev-admin-2026';
export const DEV_KEYS_SECRET = 'statex-dev-signing-keys-secret-change-me';

/** A development default is refused when NODE_ENV=production: a production start names the variable and stops. */
const NotTheDevDefaultInProduction = (devDefault: string) =>
  ValidateBy({
    name: 'notTheDevDefaultInProduction',
    validator: {
      validate: (value, args) => (args?.object as { NODE_ENV?: string }).NODE_ENV !== 'production' || value !== devDefault,
      defaultMessage: (args) => `${args?.property} must be changed from the development default in production`,
    },
  });

export class UserPortalEnv extends DatabaseEnv {
  @NumberFromEnv()
  @IsInt()
  @Min(1)
  @Max(65535)
  USER_PORTAL_PORT: number = 8006;

  /** The first admin, created at start when no account has this address (idempotent). */
  @IsEmail({ require_tld: false })
  ADMIN_EMAIL = 'admin@statex.local';

  @IsString()
  @MinLength(12)
  @NotTheDevDefaultInProduction(DEV_ADMIN_PASSWORD)
  ADMIN_PASSWORD = DEV_ADMIN_PASSWORD;

  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  ADMIN_NAME = 'StateX admin';

  /** Encrypts the token-signing private keys at rest (AES-256-GCM); every replica needs the same value. */
  @IsString()
  @MinLength(16)
  @NotTheDevDefaultInProduction(DEV_KEYS_SECRET)
  AUTH_KEYS_SECRET = DEV_KEYS_SECRET;

  @NumberFromEnv()
  @IsInt()
  @Min(60)
  @Max(3600)
  AUTH_ACCESS_TOKEN_TTL_S: number = 900;

  /** A session (refresh-token family) ends this many days after sign-in, whatever its use. */
  @NumberFromEnv()
  @IsInt()
  @Min(1)
  AUTH_REFRESH_TOKEN_TTL_DAYS: number = 30;

  /** …and earlier when unused for this long. */
  @NumberFromEnv()
  @IsInt()
  @Min(60)
  AUTH_REFRESH_IDLE_TIMEOUT_S: number = 7 * 24 * 3600;

  @NumberFromEnv()
  @IsInt()
  @Min(1)
  AUTH_VERIFICATION_TOKEN_TTL_HOURS: number = 24;

  @NumberFromEnv()
  @IsInt()
  @Min(5)
  AUTH_RESET_TOKEN_TTL_MINUTES: number = 60;

  /** A new signing key every this many days; the old one stays published until its tokens expire. */
  @NumberFromEnv()
  @IsInt()
  @Min(1)
  AUTH_KEY_ROTATION_DAYS: number = 30;

  /** A rotated-in key is published this long before it signs, so every service's JWKS cache has it. */
  @NumberFromEnv()
  @IsInt()
  @Min(0)
  AUTH_KEY_PUBLISH_AHEAD_S: number = 600;

  /** Requests per window (AUTH_RATE_LIMIT_WINDOW_S) from one client address to each auth endpoint (login, register, verify, forgot, reset). */
  @NumberFromEnv()
  @IsInt()
  @Min(1)
  AUTH_RATE_LIMIT_IP_PER_WINDOW: number = 30;

  /** Requests per window for one email address to each auth endpoint (login, register, resend, forgot). */
  @NumberFromEnv()
  @IsInt()
  @Min(1)
  AUTH_RATE_LIMIT_ACCOUNT_PER_WINDOW: number = 5;

  /** The window those limits are counted over, in seconds. */
  @NumberFromEnv()
  @IsInt()
  @Min(1)
  AUTH_RATE_LIMIT_WINDOW_S: number = 60;

  /** Password hashes computed at once (argon2id at 19 MiB each); more wait their turn. */
  @NumberFromEnv()
  @IsInt()
  @Min(1)
  @Max(64)
  PASSWORD_HASH_CONCURRENCY: number = 2;

  /** Where the links in account emails point (a page that posts the token back). */
  @IsUrl({ require_tld: false, require_protocol: true })
  ACCOUNT_LINKS_BASE_URL = 'http://localhost:8006';

  /** Machine clients for the client-credentials grant: `id:secret` pairs, comma-separated; they get the role `service`. */
  @Matches(/^$|^[a-z0-9][a-z0-9_-]*:[^,:\s]{16,}(,[a-z0-9][a-z0-9_-]*:[^,:\s]{16,})*$/, {
    message: 'AUTH_SERVICE_CLIENTS must be empty or id:secret pairs (secret at least 16 characters), comma-separated',
  })
  AUTH_SERVICE_CLIENTS = '';
}
