import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser, Roles } from '@statex/auth';
import { EditorialService } from './editorial.service';
import {
  AdminEntryPage,
  AdminEntryView,
  AdminListQuery,
  ContentTypeParam,
  CreateEntryDto,
  EntryParams,
  PublishDto,
  UpdateEntryDto,
  VersionParams,
  VersionSummaryView,
  VersionView,
} from './entries.dto';

const authorOf = (user: AuthUser | undefined): string | null => user?.id ?? null;

/** The editors' API (operator or admin): drafts, versions, publishing, scheduling. */
@ApiTags('content (editors)')
@Controller('content')
@Roles('operator', 'admin')
export class AdminContentController {
  constructor(private readonly editorial: EditorialService) {}

  @Get('admin/:type')
  @ApiOperation({ summary: 'Entries of a type with their drafts, newest change first; filter by status, locale, or title/slug' })
  @ApiOkResponse({ type: AdminEntryPage })
  list(@Param() { type }: ContentTypeParam, @Query() query: AdminListQuery): Promise<AdminEntryPage> {
    return this.editorial.list(type, query);
  }

  @Get('admin/:type/:id')
  @ApiOperation({ summary: 'One entry: its latest version, rendered, and its workflow state' })
  @ApiOkResponse({ type: AdminEntryView })
  show(@Param() { type, id }: EntryParams): Promise<AdminEntryView> {
    return this.editorial.show(type, id);
  }

  @Post(':type')
  @ApiOperation({ summary: 'A new draft (version 1); fields are checked against the type’s schema' })
  @ApiCreatedResponse({ type: AdminEntryView })
  @ApiConflictResponse({ description: 'The slug is taken in this type and locale' })
  create(@Param() { type }: ContentTypeParam, @Body() body: CreateEntryDto, @CurrentUser() user?: AuthUser): Promise<AdminEntryView> {
    return this.editorial.create(type, body, authorOf(user));
  }

  @Patch(':type/:id')
  @ApiOperation({ summary: 'Save changes as a new version (what the website shows changes only when published again)' })
  @ApiOkResponse({ type: AdminEntryView })
  @ApiConflictResponse({ description: 'The slug is taken, or baseVersion is not the latest version' })
  update(@Param() { type, id }: EntryParams, @Body() body: UpdateEntryDto, @CurrentUser() user?: AuthUser): Promise<AdminEntryView> {
    return this.editorial.update(type, id, body, authorOf(user));
  }

  @Post(':type/:id/publish')
  @HttpCode(200)
  @ApiOperation({ summary: 'Publish the latest version now, or at `at` (a future ISO 8601 time; survives restarts)' })
  @ApiOkResponse({ type: AdminEntryView })
  @ApiConflictResponse({ description: 'Another published entry of this type and locale is at this slug' })
  publish(@Param() { type, id }: EntryParams, @Body() body: PublishDto, @CurrentUser() user?: AuthUser): Promise<AdminEntryView> {
    return this.editorial.publish(type, id, body?.at ?? undefined, authorOf(user));
  }

  @Post(':type/:id/unpublish')
  @HttpCode(200)
  @ApiOperation({ summary: 'Take the entry off the website (back to draft) and cancel any scheduled publication' })
  @ApiOkResponse({ type: AdminEntryView })
  @ApiConflictResponse({ description: 'Neither published nor scheduled' })
  unpublish(@Param() { type, id }: EntryParams, @CurrentUser() user?: AuthUser): Promise<AdminEntryView> {
    return this.editorial.unpublish(type, id, authorOf(user));
  }

  @Post(':type/:id/archive')
  @HttpCode(200)
  @ApiOperation({ summary: 'Archive: off the website, out of the way, kept with its versions (publish brings it back)' })
  @ApiOkResponse({ type: AdminEntryView })
  archive(@Param() { type, id }: EntryParams, @CurrentUser() user?: AuthUser): Promise<AdminEntryView> {
    return this.editorial.archive(type, id, authorOf(user));
  }

  @Get(':type/:id/versions')
  @ApiOperation({ summary: 'Every saved version, newest first' })
  @ApiOkResponse({ type: [VersionSummaryView] })
  versions(@Param() { type, id }: EntryParams): Promise<VersionSummaryView[]> {
    return this.editorial.versions(type, id);
  }

  @Get(':type/:id/versions/:version')
  @ApiOperation({ summary: 'One version as it was saved, rendered' })
  @ApiOkResponse({ type: VersionView })
  version(@Param() { type, id, version }: VersionParams): Promise<VersionView> {
    return this.editorial.version(type, id, version);
  }

  @Post(':type/:id/versions/:version/restore')
  @ApiOperation({ summary: 'Copy an old version back as a new version (publish it to show it)' })
  @ApiCreatedResponse({ type: AdminEntryView })
  @ApiConflictResponse({ description: 'The old version’s slug is now another entry’s' })
  restore(@Param() { type, id, version }: VersionParams, @CurrentUser() user?: AuthUser): Promise<AdminEntryView> {
    return this.editorial.restore(type, id, version, authorOf(user));
  }

  @Delete(':type/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete the entry and its versions (off the website first)' })
  @ApiNoContentResponse()
  async remove(@Param() { type, id }: EntryParams): Promise<void> {
    await this.editorial.remove(type, id);
  }
}
