import { MigrationInterface, QueryRunner } from 'typeorm';

/** The trace a workflow was started in, so the events that end it continue the lead's trace. */
export class WorkflowTraceContext1765000000001 implements MigrationInterface {
  name = 'WorkflowTraceContext1765000000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE workflows ADD COLUMN IF NOT EXISTS trace_context jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE workflows DROP COLUMN IF EXISTS trace_context`);
  }
}
