import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateWorkflowTables1764115800000 implements MigrationInterface {
  name = 'CreateWorkflowTables1764115800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE workflows (
      id uuid PRIMARY KEY,
      submission_id uuid NOT NULL,
      run int NOT NULL,
      status text NOT NULL,
      input jsonb NOT NULL,
      result jsonb,
      reason text,
      started_at timestamptz NOT NULL,
      finished_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (submission_id, run))`);
    await q.query(`CREATE INDEX workflows_running_idx ON workflows (status) WHERE status = 'running'`);
    await q.query(`CREATE TABLE workflow_steps (
      workflow_id uuid NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
      step text NOT NULL,
      status text NOT NULL,
      attempts int NOT NULL DEFAULT 0,
      progress int NOT NULL DEFAULT 0,
      started_at timestamptz,
      finished_at timestamptz,
      duration_ms int,
      provider text,
      model text,
      usage jsonb,
      fallback jsonb,
      worker text,
      output jsonb,
      error text,
      PRIMARY KEY (workflow_id, step))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE workflow_steps');
    await q.query('DROP TABLE workflows');
  }
}
