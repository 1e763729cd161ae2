import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { BadRequestException, ConflictException, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { validateInput } from '@statex/runtime';
import { StorageDriver } from '@statex/storage';
import { readMultipartForm } from '@statex/uploads';
import { ContentEnv } from '../content.env';
import { ContentMedia, mediaStorageKey, mediaUrl } from './media.entity';
import { MediaRepository } from './media.repository';

/** The form fields besides the file. */
export class UploadMediaFields {
  @IsOptional() @IsString() @MaxLength(300) alt?: string;
}

export class MediaView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ description: 'Where the website fetches it' }) url!: string;
  @ApiProperty() fileName!: string;
  @ApiProperty({ description: 'What its content was found to be' }) contentType!: string;
  @ApiProperty() size!: number;
  @ApiProperty() sha256!: string;
  @ApiProperty() alt!: string;
  @ApiProperty() createdAt!: string;
}

export class MediaPage {
  @ApiProperty({ type: [MediaView] }) items!: MediaView[];
  @ApiProperty() page!: number;
  @ApiProperty() pageSize!: number;
  @ApiProperty() total!: number;
}

export const mediaView = (m: ContentMedia): MediaView => ({
  id: m.id,
  url: mediaUrl(m.id),
  fileName: m.fileName,
  contentType: m.contentType,
  size: m.size,
  sha256: m.sha256,
  alt: m.alt,
  createdAt: m.createdAt.toISOString(),
});

/**
 * Pictures and documents for entries, in attachment storage (local or S3). Uploads get the
 * contact form's checks (@statex/uploads): size capped while streaming, typed by their content
 * (png, jpeg, pdf, docx, UTF-8 text; never HTML or SVG), control characters refused.
 */
@Injectable()
export class MediaService {
  private readonly logger = new Logger(MediaService.name);

  constructor(
    private readonly media: MediaRepository,
    private readonly storage: StorageDriver,
    private readonly env: ContentEnv,
  ) {}

  async upload(request: FastifyRequest, author: string | null): Promise<MediaView> {
    if (!request.isMultipart()) throw new BadRequestException('Upload a file as multipart/form-data in the field "file" (and optionally "alt")');
    const form = await readMultipartForm(request, {
      fileField: 'file',
      maxFileBytes: this.env.CONTENT_MEDIA_MAX_BYTES,
      maxFiles: 1,
      typingTimeoutMs: this.env.CONTENT_MEDIA_TYPING_TIMEOUT_MS,
    });
    try {
      const fields = await validateInput(UploadMediaFields, form.fields);
      const [file] = form.files;
      if (!file) throw new BadRequestException('No file: send one in the field "file"');
      const media = Object.assign(new ContentMedia(), {
        id: randomUUID(),
        fileName: file.fileName,
        contentType: file.contentType,
        size: file.size,
        sha256: file.sha256,
        alt: fields.alt?.trim() ?? '',
        createdBy: author,
        createdAt: new Date(),
      });
      media.storageKey = mediaStorageKey(media.id);
      await this.storage.putFile(media.storageKey, file.path, media.contentType);
      try {
        await this.media.insert(media);
      } catch (error) {
        await this.storage.delete(media.storageKey).catch(() => undefined);
        throw error;
      }
      this.logger.log(`Media ${media.id} uploaded: ${media.contentType}, ${media.size} bytes`);
      return mediaView(media);
    } finally {
      await form.discard();
    }
  }

  async open(id: string): Promise<{ media: ContentMedia; stream: () => Promise<Readable> }> {
    const media = await this.media.find(id);
    if (!media) throw new NotFoundException(`No media ${id}`);
    return { media, stream: () => this.storage.get(media.storageKey) };
  }

  async list(page: number, pageSize: number): Promise<MediaPage> {
    const { items, total } = await this.media.list(page, pageSize);
    return { items: items.map(mediaView), page, pageSize, total };
  }

  async remove(id: string): Promise<void> {
    const media = await this.media.find(id);
    if (!media) throw new NotFoundException(`No media ${id}`);
    const users = await this.media.usedBy(id);
    if (users.length > 0) {
      throw new ConflictException(`Media ${id} is used by ${users.map((u) => `${u.type} ${u.locale}/${u.slug}`).join(', ')}: remove it from them first`);
    }
    await this.media.delete(id);
    await this.storage.delete(media.storageKey).catch((error: Error) => this.logger.warn(`Media ${id} deleted, but its file stays in storage: ${error.message}`));
  }
}
