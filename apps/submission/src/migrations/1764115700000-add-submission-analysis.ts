import { MigrationInterface, QueryRunner } from 'typeorm';

export class AddSubmissionAnalysis1764115700000 implements MigrationInterface {
  name = 'AddSubmissionAnalysis1764115700000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE submissions ADD COLUMN IF NOT EXISTS analysis jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE submissions DROP COLUMN analysis');
  }
}
