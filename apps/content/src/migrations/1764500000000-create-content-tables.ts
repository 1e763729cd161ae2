import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateContentTables1764500000000 implements MigrationInterface {
  name = 'CreateContentTables1764500000000';

  async up(q: QueryRunner): Promise<void> {
    // The working copy of each entry (its latest version), with its workflow state.
    await q.query(`CREATE TABLE content_entries (
      id uuid PRIMARY KEY,
      type text NOT NULL CHECK (type IN ('page', 'post', 'service', 'faq')),
      locale text NOT NULL CHECK (locale IN ('en', 'cs')),
      slug text NOT NULL,
      status text NOT NULL CHECK (status IN ('draft', 'published', 'archived')),
      version int NOT NULL,
      published_version int,
      publish_at timestamptz,
      title text NOT NULL,
      summary text NOT NULL DEFAULT '',
      seo_title text,
      seo_description text,
      body text NOT NULL DEFAULT '',
      fields jsonb NOT NULL DEFAULT '{}',
      media jsonb NOT NULL DEFAULT '[]',
      created_by text,
      updated_by text,
      published_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT content_entries_slug_key UNIQUE (type, locale, slug)
    )`);
    await q.query(`CREATE INDEX content_entries_type_status_idx ON content_entries (type, status, locale)`);
    await q.query(`CREATE INDEX content_entries_due_idx ON content_entries (publish_at) WHERE publish_at IS NOT NULL`);

    // Every save, immutable: what restore copies back.
    await q.query(`CREATE TABLE content_versions (
      entry_id uuid NOT NULL REFERENCES content_entries (id) ON DELETE CASCADE,
      version int NOT NULL,
      slug text NOT NULL,
      title text NOT NULL,
      summary text NOT NULL,
      seo_title text,
      seo_description text,
      body text NOT NULL,
      fields jsonb NOT NULL,
      media jsonb NOT NULL,
      note text NOT NULL,
      author text,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (entry_id, version)
    )`);

    // What the website shows: one row per published entry, the published version's copy with
    // its rendered HTML. Public reads and search touch only this table, so a draft cannot leak.
    await q.query(`CREATE TABLE content_published (
      entry_id uuid PRIMARY KEY REFERENCES content_entries (id) ON DELETE CASCADE,
      type text NOT NULL,
      locale text NOT NULL,
      slug text NOT NULL,
      version int NOT NULL,
      title text NOT NULL,
      summary text NOT NULL,
      seo_title text,
      seo_description text,
      body text NOT NULL,
      html text NOT NULL,
      fields jsonb NOT NULL,
      media jsonb NOT NULL,
      published_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector(CASE WHEN locale = 'en' THEN 'english'::regconfig ELSE 'simple'::regconfig END, title), 'A') ||
        setweight(to_tsvector(CASE WHEN locale = 'en' THEN 'english'::regconfig ELSE 'simple'::regconfig END, summary), 'B') ||
        setweight(to_tsvector(CASE WHEN locale = 'en' THEN 'english'::regconfig ELSE 'simple'::regconfig END, body), 'C')
      ) STORED,
      CONSTRAINT content_published_slug_key UNIQUE (type, locale, slug)
    )`);
    await q.query(`CREATE INDEX content_published_search_idx ON content_published USING GIN (search)`);
    await q.query(`CREATE INDEX content_published_list_idx ON content_published (type, slug, locale)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['content_published', 'content_versions', 'content_entries']) await q.query(`DROP TABLE ${table}`);
  }
}
