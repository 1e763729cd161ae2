import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ConditionalGet, etagMatches } from '../conditional-get';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '@statex/auth';
import { ContentEnv } from '../content.env';
import { ContentTypeParam, PublicEntryPage, PublicEntryQuery, PublicEntryView, PublicListQuery, SearchQuery, SlugParams } from '../entries/entries.dto';
import type { CachedAnswer } from './content-cache';
import { DEFAULT_LOCALE, PublicContentService } from './public-content.service';

/** The website's reads: public, cached, with ETags (If-None-Match → 304). */
@ApiTags('content (public)')
@Controller('content')
export class PublicContentController {
  constructor(
    private readonly content: PublicContentService,
    private readonly env: ContentEnv,
  ) {}

  @Get('search')
  @Public()
  @ApiOperation({ summary: 'Full-text search over the published entries of one language, best match first' })
  @ApiOkResponse({ type: PublicEntryPage })
  @ConditionalGet()
  async search(@Query() query: SearchQuery, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const answer = await this.content.search(query.q, query.locale ?? DEFAULT_LOCALE, query.type, query.page ?? 1, query.pageSize ?? this.env.CONTENT_PAGE_SIZE);
    return this.send(request, reply, answer);
  }

  @Get(':type')
  @Public()
  @ApiOperation({ summary: 'Published entries of a type in a language (English where a translation is missing), paged' })
  @ApiOkResponse({ type: PublicEntryPage })
  @ConditionalGet()
  async list(@Param() { type }: ContentTypeParam, @Query() query: PublicListQuery, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const answer = await this.content.list(type, query.locale ?? DEFAULT_LOCALE, query.page ?? 1, query.pageSize ?? this.env.CONTENT_PAGE_SIZE);
    return this.send(request, reply, answer);
  }

  @Get(':type/:slug')
  @Public()
  @ApiOperation({ summary: 'One published entry by its slug, in the language asked for or else in English' })
  @ApiOkResponse({ type: PublicEntryView })
  @ConditionalGet()
  @ApiNotFoundResponse({ description: 'Not published in that language nor in English' })
  async entry(@Param() { type, slug }: SlugParams, @Query() query: PublicEntryQuery, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const answer = await this.content.entry(type, slug, query.locale ?? DEFAULT_LOCALE);
    return this.send(request, reply, answer);
  }

  private send(request: FastifyRequest, reply: FastifyReply, answer: CachedAnswer): string {
    void reply.header('etag', answer.etag);
    void reply.header('cache-control', `public, max-age=${this.env.CONTENT_HTTP_MAX_AGE_S}`);
    if (etagMatches(request.headers['if-none-match'], answer.etag)) {
      void reply.status(304);
      return '';
    }
    void reply.header('content-type', 'application/json; charset=utf-8');
    return answer.json;
  }
}
