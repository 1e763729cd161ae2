import { MigrationInterface, QueryRunner } from 'typeorm';

export class AddSubmissionLocale1764115500000 implements MigrationInterface {
  name = 'AddSubmissionLocale1764115500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE submissions ADD COLUMN IF NOT EXISTS locale text NOT NULL DEFAULT 'en'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE submissions DROP COLUMN locale');
  }
}
