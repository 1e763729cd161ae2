import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateAccountTables1764200000000 implements MigrationInterface {
  name = 'CreateAccountTables1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE users (
      id uuid PRIMARY KEY,
      email text NOT NULL UNIQUE,
      name text NOT NULL,
      locale text NOT NULL DEFAULT 'en',
      role text NOT NULL CHECK (role IN ('admin', 'operator', 'client')),
      password_hash text NOT NULL,
      email_verified_at timestamptz,
      disabled_at timestamptz,
      password_changed_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX users_role_idx ON users (role)`);
    await q.query(`CREATE TABLE sessions (
      id uuid PRIMARY KEY,
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      user_agent text,
      ip text,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_used_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      revoked_at timestamptz,
      revoked_reason text
    )`);
    await q.query(`CREATE INDEX sessions_user_idx ON sessions (user_id)`);
    await q.query(`CREATE TABLE refresh_tokens (
      id uuid PRIMARY KEY,
      session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
      token_hash text NOT NULL UNIQUE,
      parent_id uuid,
      created_at timestamptz NOT NULL DEFAULT now(),
      rotated_at timestamptz
    )`);
    await q.query(`CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id)`);
    await q.query(`CREATE TABLE one_time_tokens (
      id uuid PRIMARY KEY,
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      kind text NOT NULL CHECK (kind IN ('verify_email', 'reset_password')),
      token_hash text NOT NULL UNIQUE,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      used_at timestamptz
    )`);
    await q.query(`CREATE INDEX one_time_tokens_user_kind_idx ON one_time_tokens (user_id, kind)`);
    await q.query(`CREATE TABLE signing_keys (
      kid text PRIMARY KEY,
      alg text NOT NULL,
      public_jwk jsonb NOT NULL,
      private_key_encrypted text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      active_from timestamptz NOT NULL,
      expires_at timestamptz
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['signing_keys', 'one_time_tokens', 'refresh_tokens', 'sessions', 'users']) await q.query(`DROP TABLE ${table}`);
  }
}
