import { Controller, Delete, Get, HttpCode, Param, Post, Query, Req, Res, StreamableFile } from '@nestjs/common';
import {
  ApiBody,
  ApiConflictResponse,
  ApiConsumes,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuthUser, CurrentUser, Public, Roles } from '@statex/auth';
import { MediaPage, MediaService, MediaView } from './media.service';
import { ConditionalGet, etagMatches } from '../conditional-get';

class MediaIdParam {
  @ApiProperty({ format: 'uuid' })
  @Matches(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, { message: 'id must be a UUID' }) id!: string;
}

class MediaListQuery {
  @ApiPropertyOptional({ default: 1 }) @IsOptional() @Type(() => Number) @IsInt({ message: 'page must be a whole number' }) @Min(1) @Max(10_000) page?: number;
  @ApiPropertyOptional({ default: 50 }) @IsOptional() @Type(() => Number) @IsInt({ message: 'pageSize must be a whole number' }) @Min(1) @Max(100) pageSize?: number;
}

/** Documents a browser should download rather than show in the website's origin. */
const INLINE_TYPES = new Set(['image/png', 'image/jpeg', 'application/pdf']);

@ApiTags('content (media)')
@Controller('content/media')
export class MediaController {
  constructor(private readonly media: MediaService) {}

  @Post()
  @Roles('operator', 'admin')
  @ApiOperation({ summary: 'Upload a picture or document (png, jpeg, pdf, docx, UTF-8 text; typed by its content) to reference from entries as {mediaId}' })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary' }, alt: { type: 'string', maxLength: 300 } } } })
  @ApiCreatedResponse({ type: MediaView })
  @ApiPayloadTooLargeResponse({ description: 'Larger than CONTENT_MEDIA_MAX_BYTES, or more than one file' })
  @ApiUnsupportedMediaTypeResponse({ description: 'The content is not of an accepted type' })
  upload(@Req() request: FastifyRequest, @CurrentUser() user?: AuthUser): Promise<MediaView> {
    return this.media.upload(request, user?.id ?? null);
  }

  @Get()
  @Roles('operator', 'admin')
  @ApiOperation({ summary: 'Uploaded media, newest first' })
  @ApiOkResponse({ type: MediaPage })
  list(@Query() query: MediaListQuery): Promise<MediaPage> {
    return this.media.list(query.page ?? 1, query.pageSize ?? 50);
  }

  @Get(':id')
  @Public()
  @ApiOperation({ summary: 'The file itself (immutable: cached for a year, ETag = its SHA-256)' })
  @ApiOkResponse({
    description: 'The file, with the type its content was found to be',
    content: Object.fromEntries(['image/png', 'image/jpeg', 'application/pdf', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'text/plain'].map((type) => [type, { schema: { type: 'string', format: 'binary' } }])),
  })
  @ConditionalGet()
  async file(@Param() { id }: MediaIdParam, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<StreamableFile | string> {
    const { media, stream } = await this.media.open(id);
    const etag = `"${media.sha256}"`;
    void reply.header('etag', etag);
    void reply.header('cache-control', 'public, max-age=31536000, immutable');
    void reply.header('x-content-type-options', 'nosniff');
    // Nothing served from here may run script in the website's origin.
    void reply.header('content-security-policy', "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'");
    if (etagMatches(request.headers['if-none-match'], etag)) {
      void reply.status(304);
      return '';
    }
    const disposition = `${INLINE_TYPES.has(media.contentType) ? 'inline' : 'attachment'}; filename*=UTF-8''${encodeURIComponent(media.fileName)}`;
    return new StreamableFile(await stream(), { type: media.contentType, length: media.size, disposition });
  }

  @Delete(':id')
  @Roles('operator', 'admin')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a file no entry uses (409 naming the entries that do)' })
  @ApiNoContentResponse()
  @ApiConflictResponse({ description: 'An entry uses the file' })
  async remove(@Param() { id }: MediaIdParam): Promise<void> {
    await this.media.remove(id);
  }
}
