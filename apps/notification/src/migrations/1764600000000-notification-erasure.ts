import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Account deletion (`user.deleted`): a notification's personal data can be erased, the row kept
 * for counts; the accounts erased, so a message for one that arrives late is not stored.
 */
export class NotificationErasure1764600000000 implements MigrationInterface {
  name = 'NotificationErasure1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE notifications ADD COLUMN erased_at timestamptz`);
    await q.query(`CREATE TABLE erased_accounts (
      user_id text PRIMARY KEY,
      erased_at timestamptz NOT NULL DEFAULT now())`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE erased_accounts');
    await q.query('ALTER TABLE notifications DROP COLUMN erased_at');
  }
}
