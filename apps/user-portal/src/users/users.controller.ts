import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated, AuthUser, CurrentUser, Roles } from '@statex/auth';
import { AccountService } from './account.service';
import { AdminUpdateUserDto, UpdateMeDto, UserDto, UserIdParam, UserPageDto, UserQuery } from './users.dto';

@ApiTags('users')
@Controller('users')
export class UsersController {
  constructor(private readonly accounts: AccountService) {}

  @Get('me')
  @Authenticated()
  @ApiOperation({ summary: 'Your account' })
  @ApiOkResponse({ type: UserDto })
  me(@CurrentUser() user: AuthUser): Promise<UserDto> {
    return this.accounts.me(user);
  }

  @Patch('me')
  @Authenticated()
  @ApiOperation({ summary: 'Change your name or language' })
  @ApiOkResponse({ type: UserDto })
  updateMe(@CurrentUser() user: AuthUser, @Body() body: UpdateMeDto): Promise<UserDto> {
    return this.accounts.updateMe(user, body);
  }

  @Delete('me')
  @Authenticated()
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete your account: sessions end, personal data is removed, user.deleted is emitted' })
  @ApiConflictResponse({ description: 'The last active admin cannot lose the role, be disabled or deleted' })
  @ApiNoContentResponse()
  async deleteMe(@CurrentUser() user: AuthUser): Promise<void> {
    await this.accounts.deleteMe(user);
  }

  @Get()
  @Roles('admin')
  @ApiOperation({ summary: 'Users, newest first, searched by email or name and filtered by role' })
  @ApiOkResponse({ type: UserPageDto })
  list(@Query() query: UserQuery): Promise<UserPageDto> {
    return this.accounts.search(query);
  }

  @Patch(':id')
  @Roles('admin')
  @ApiOperation({ summary: 'Change a user’s role, or disable (ending their sessions) or enable them' })
  @ApiConflictResponse({ description: 'The last active admin cannot lose the role, be disabled or deleted' })
  @ApiOkResponse({ type: UserDto })
  update(@CurrentUser() admin: AuthUser, @Param() { id }: UserIdParam, @Body() body: AdminUpdateUserDto): Promise<UserDto> {
    return this.accounts.adminUpdate(admin, id, body);
  }

  @Delete(':id')
  @Roles('admin')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a user and their personal data' })
  @ApiNoContentResponse()
  @ApiConflictResponse({ description: 'The last active admin cannot lose the role, be disabled or deleted' })
  async remove(@CurrentUser() admin: AuthUser, @Param() { id }: UserIdParam): Promise<void> {
    await this.accounts.adminDelete(admin, id);
  }
}
