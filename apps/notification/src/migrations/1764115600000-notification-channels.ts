import { MigrationInterface, QueryRunner } from 'typeorm';

/** Every channel, routes with fallback, manual tasks, and the leads' contacts. */
export class NotificationChannels1764115600000 implements MigrationInterface {
  name = 'NotificationChannels1764115600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE notifications ALTER COLUMN dedupe_key DROP NOT NULL`);
    await q.query(`ALTER TABLE notifications
      ADD COLUMN data jsonb NOT NULL DEFAULT '{}',
      ADD COLUMN route jsonb NOT NULL DEFAULT '[]',
      ADD COLUMN hop int NOT NULL DEFAULT 0,
      ADD COLUMN generation int NOT NULL DEFAULT 0,
      ADD COLUMN manual_text text,
      ADD COLUMN completed_by text,
      ADD COLUMN completed_at timestamptz,
      ADD COLUMN completion_note text,
      ADD COLUMN cancelled_at timestamptz`);
    await q.query(`UPDATE notifications SET route = jsonb_build_array(jsonb_build_object('channel', channel, 'recipient', recipient))`);
    await q.query(`CREATE INDEX notifications_status_idx ON notifications (status, updated_at)`);
    await q.query(`ALTER TABLE notification_attempts ADD COLUMN channel text, ADD COLUMN recipient text`);
    await q.query(`CREATE TABLE lead_contacts (
      submission_id uuid PRIMARY KEY,
      name text NOT NULL,
      email text NOT NULL,
      phone text,
      telegram_chat_id text,
      linkedin_url text,
      contact_channel text NOT NULL,
      locale text NOT NULL,
      status_url text,
      message text NOT NULL)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE lead_contacts');
    await q.query('ALTER TABLE notification_attempts DROP COLUMN channel, DROP COLUMN recipient');
    await q.query('DROP INDEX notifications_status_idx');
    await q.query(`ALTER TABLE notifications DROP COLUMN data, DROP COLUMN route, DROP COLUMN hop, DROP COLUMN generation,
      DROP COLUMN manual_text, DROP COLUMN completed_by, DROP COLUMN completed_at, DROP COLUMN completion_note, DROP COLUMN cancelled_at`);
  }
}
