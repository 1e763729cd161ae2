import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateContentMedia1764500100000 implements MigrationInterface {
  name = 'CreateContentMedia1764500100000';

  async up(q: QueryRunner): Promise<void> {
    // Uploaded pictures and documents; the bytes are in attachment storage under storage_key.
    await q.query(`CREATE TABLE content_media (
      id uuid PRIMARY KEY,
      file_name text NOT NULL,
      content_type text NOT NULL,
      size bigint NOT NULL,
      sha256 text NOT NULL,
      storage_key text NOT NULL,
      alt text NOT NULL DEFAULT '',
      created_by text,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX content_media_created_idx ON content_media (created_at DESC)`);
    // Which entries use a file (a used file cannot be deleted).
    await q.query(`CREATE INDEX content_entries_media_idx ON content_entries USING GIN (media jsonb_path_ops)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX content_entries_media_idx`);
    await q.query(`DROP TABLE content_media`);
  }
}
