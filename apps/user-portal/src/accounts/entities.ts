import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { Locale, UserRole } from '@statex/contracts';

@Entity({ name: 'users' })
export class User {
  @PrimaryColumn('uuid') id!: string;
  /** Lowercased; unique. */
  @Column({ type: 'text', unique: true }) email!: string;
  @Column({ type: 'text' }) name!: string;
  @Column({ type: 'text' }) locale!: Locale;
  @Column({ type: 'text' }) role!: UserRole;
  @Column({ name: 'password_hash', type: 'text' }) passwordHash!: string;
  @Column({ name: 'email_verified_at', type: 'timestamptz', nullable: true }) emailVerifiedAt!: Date | null;
  @Column({ name: 'disabled_at', type: 'timestamptz', nullable: true }) disabledAt!: Date | null;
  @Column({ name: 'password_changed_at', type: 'timestamptz', nullable: true }) passwordChangedAt!: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

/** A sign-in on one device: the family of refresh tokens that rotate from it. */
@Entity({ name: 'sessions' })
@Index(['userId'])
export class Session {
  @PrimaryColumn('uuid') id!: string;
  @Column({ name: 'user_id', type: 'uuid' }) userId!: string;
  @Column({ name: 'user_agent', type: 'text', nullable: true }) userAgent!: string | null;
  @Column({ type: 'text', nullable: true }) ip!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'last_used_at', type: 'timestamptz' }) lastUsedAt!: Date;
  /** The absolute end of the session, whatever its use. */
  @Column({ name: 'expires_at', type: 'timestamptz' }) expiresAt!: Date;
  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true }) revokedAt!: Date | null;
  @Column({ name: 'revoked_reason', type: 'text', nullable: true }) revokedReason!: string | null;
}

/** One refresh token of a session, stored as its SHA-256 only. A token used once is rotated; used again, it betrays a theft. */
@Entity({ name: 'refresh_tokens' })
@Index(['sessionId'])
export class RefreshToken {
  @PrimaryColumn('uuid') id!: string;
  @Column({ name: 'session_id', type: 'uuid' }) sessionId!: string;
  @Column({ name: 'token_hash', type: 'text', unique: true }) tokenHash!: string;
  @Column({ name: 'parent_id', type: 'uuid', nullable: true }) parentId!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'rotated_at', type: 'timestamptz', nullable: true }) rotatedAt!: Date | null;
}

export const ONE_TIME_TOKEN_KINDS = ['verify_email', 'reset_password'] as const;
export type OneTimeTokenKind = (typeof ONE_TIME_TOKEN_KINDS)[number];

/** A link's token (email verification, password reset): single use, expiring, stored as its SHA-256 only. */
@Entity({ name: 'one_time_tokens' })
@Index(['userId', 'kind'])
export class OneTimeToken {
  @PrimaryColumn('uuid') id!: string;
  @Column({ name: 'user_id', type: 'uuid' }) userId!: string;
  @Column({ type: 'text' }) kind!: OneTimeTokenKind;
  @Column({ name: 'token_hash', type: 'text', unique: true }) tokenHash!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'expires_at', type: 'timestamptz' }) expiresAt!: Date;
  @Column({ name: 'used_at', type: 'timestamptz', nullable: true }) usedAt!: Date | null;
}

/** A token-signing key pair. The private half is encrypted with AUTH_KEYS_SECRET and never leaves user-portal. */
@Entity({ name: 'signing_keys' })
export class SigningKey {
  @PrimaryColumn({ type: 'text' }) kid!: string;
  @Column({ type: 'text' }) alg!: string;
  @Column({ name: 'public_jwk', type: 'jsonb' }) publicJwk!: Record<string, unknown>;
  @Column({ name: 'private_key_encrypted', type: 'text' }) privateKeyEncrypted!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  /** Signs from this moment (published before it, during the overlap). */
  @Column({ name: 'active_from', type: 'timestamptz' }) activeFrom!: Date;
  /** Leaves the JWKS at this moment: set when a successor takes over, after the last token it signed expired. */
  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true }) expiresAt!: Date | null;
}

export const USER_PORTAL_ENTITIES = [User, Session, RefreshToken, OneTimeToken, SigningKey];
