import { MigrationInterface, QueryRunner } from 'typeorm';

/** The list of submissions: newest first, by email address (in any letter case) or by status. */
export class AddSubmissionListIndexes1764200100000 implements MigrationInterface {
  name = 'AddSubmissionListIndexes1764200100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE INDEX IF NOT EXISTS submissions_created_idx ON submissions (created_at DESC, id DESC)');
    await q.query('CREATE INDEX IF NOT EXISTS submissions_email_created_idx ON submissions (lower(email), created_at DESC)');
    await q.query('CREATE INDEX IF NOT EXISTS submissions_status_created_idx ON submissions (status, created_at DESC)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX IF EXISTS submissions_status_created_idx');
    await q.query('DROP INDEX IF EXISTS submissions_email_created_idx');
    await q.query('DROP INDEX IF EXISTS submissions_created_idx');
  }
}
