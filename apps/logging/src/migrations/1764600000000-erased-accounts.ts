import { MigrationInterface, QueryRunner } from 'typeorm';

/** Accounts erased by `user.deleted`: an event of one that arrives later is stored already erased. */
export class ErasedAccounts1764600000000 implements MigrationInterface {
  name = 'ErasedAccounts1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE erased_accounts (
      user_id text PRIMARY KEY,
      erased_at timestamptz NOT NULL DEFAULT now())`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE erased_accounts');
  }
}
