import { Column, Entity, PrimaryColumn } from 'typeorm';

/** An uploaded picture or document; its bytes are in attachment storage. */
@Entity({ name: 'content_media' })
export class ContentMedia {
  @PrimaryColumn('uuid') id!: string;
  /** The name it was uploaded with, for display only. */
  @Column({ name: 'file_name', type: 'text' }) fileName!: string;
  /** What its content was found to be (never what the client declared). */
  @Column({ name: 'content_type', type: 'text' }) contentType!: string;
  @Column({ type: 'bigint', transformer: { to: (v: number) => v, from: (v: string) => Number(v) } }) size!: number;
  @Column({ type: 'text' }) sha256!: string;
  @Column({ name: 'storage_key', type: 'text' }) storageKey!: string;
  @Column({ type: 'text' }) alt!: string;
  @Column({ name: 'created_by', type: 'text', nullable: true }) createdBy!: string | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

/** Where the website fetches a file (the content service serves it). */
export const mediaUrl = (id: string) => `/api/content/media/${id}`;

/** Where a file's bytes are kept: generated ids only, never the uploaded name. */
export const mediaStorageKey = (id: string) => `content/media/${id}`;
