import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, BadRequestException, Post, Req } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBadRequestResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiTags, ApiTooManyRequestsResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Authenticated, AuthUser, CurrentUser, Public, Roles } from '@statex/auth';
import { SigningKeys } from '../keys/signing-keys.service';
import { AccountService } from '../users/account.service';
import {
  AcceptedDto,
  ChangePasswordDto,
  ClientCredentialsDto,
  EmailDto,
  LoginDto,
  RefreshDto,
  RegisterDto,
  ResetPasswordDto,
  ServiceTokenDto,
  SessionDto,
  TokenDto,
  TokenPairDto,
} from './auth.dto';
import { ClientMeta, SessionService } from './session.service';

class RotatedKeyDto {
  @ApiProperty({ description: 'The key id that signs from now on' }) kid!: string;
}

const client = (request: FastifyRequest): ClientMeta => ({ ip: request.ip, userAgent: request.headers['user-agent'] });
const CHECK_INBOX = 'If the address can receive it, an email is on its way. Check your inbox.';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly accounts: AccountService,
    private readonly sessions: SessionService,
    private readonly keys: SigningKeys,
  ) {}

  @Post('register')
  @Public()
  @HttpCode(202)
  @ApiOperation({ summary: 'Create an account; a verification email follows. The same answer whether or not the address already has an account' })
  @ApiAcceptedResponse({ type: AcceptedDto })
  @ApiBadRequestResponse({ description: 'A field is invalid, or the password is too short, too long or too common' })
  @ApiTooManyRequestsResponse({ description: 'Throttled per address and per email; Retry-After says when to retry' })
  async register(@Body() body: RegisterDto, @Req() request: FastifyRequest): Promise<AcceptedDto> {
    await this.accounts.register(body, client(request));
    return { message: CHECK_INBOX };
  }

  @Post('verify')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'Confirm the email address with the token from the verification link (single use, expires)' })
  @ApiOkResponse({ type: AcceptedDto })
  @ApiBadRequestResponse({ description: 'The token is invalid, used or expired' })
  async verify(@Body() body: TokenDto, @Req() request: FastifyRequest): Promise<AcceptedDto> {
    await this.accounts.verify(body.token, client(request));
    return { message: 'Your email address is confirmed.' };
  }

  @Post('resend-verification')
  @Public()
  @HttpCode(202)
  @ApiOperation({ summary: 'Send the verification email again (throttled); the same answer for any address' })
  @ApiAcceptedResponse({ type: AcceptedDto })
  async resend(@Body() body: EmailDto, @Req() request: FastifyRequest): Promise<AcceptedDto> {
    await this.accounts.resendVerification(body.email, client(request));
    return { message: CHECK_INBOX };
  }

  @Post('login')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in: a short-lived access token (JWT) and a single-use refresh token' })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiUnauthorizedResponse({ description: 'Wrong email or password (the same answer for an unknown address)' })
  @ApiTooManyRequestsResponse({ description: 'Throttled per address and per account' })
  login(@Body() body: LoginDto, @Req() request: FastifyRequest): Promise<TokenPairDto> {
    return this.sessions.login(body.email, body.password, client(request));
  }

  @Post('refresh')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'A new token pair for a refresh token, which is used up. A refresh token used twice ends its session and alerts the user' })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiUnauthorizedResponse({ description: 'The refresh token is unknown, used, revoked or expired' })
  refresh(@Body() body: RefreshDto): Promise<TokenPairDto> {
    return this.sessions.refresh(body.refreshToken);
  }

  @Post('logout')
  @Public()
  @HttpCode(204)
  @ApiOperation({ summary: 'End the session of this refresh token' })
  @ApiNoContentResponse()
  async logout(@Body() body: RefreshDto): Promise<void> {
    await this.sessions.logout(body.refreshToken);
  }

  @Post('logout-all')
  @Authenticated()
  @HttpCode(204)
  @ApiOperation({ summary: 'End every session of the signed-in user (access tokens already issued live out their 15 minutes)' })
  @ApiNoContentResponse()
  async logoutAll(@CurrentUser() user: AuthUser): Promise<void> {
    await this.sessions.logoutEverywhere(user);
  }

  @Post('forgot-password')
  @Public()
  @HttpCode(202)
  @ApiOperation({ summary: 'Email a password-reset link; the same answer for any address' })
  @ApiAcceptedResponse({ type: AcceptedDto })
  async forgot(@Body() body: EmailDto, @Req() request: FastifyRequest): Promise<AcceptedDto> {
    await this.accounts.forgotPassword(body.email, client(request));
    return { message: CHECK_INBOX };
  }

  @Post('reset-password')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'Set a new password with the token from the reset link; every session ends' })
  @ApiOkResponse({ type: AcceptedDto })
  @ApiBadRequestResponse({ description: 'The token is invalid, used or expired, or the password is refused' })
  async reset(@Body() body: ResetPasswordDto, @Req() request: FastifyRequest): Promise<AcceptedDto> {
    await this.accounts.resetPassword(body.token, body.password, client(request));
    return { message: 'Your password is changed. Sign in with it.' };
  }

  @Post('change-password')
  @Authenticated()
  @HttpCode(200)
  @ApiOperation({ summary: 'Change the password (needs the current one); your other sessions end' })
  @ApiOkResponse({ type: AcceptedDto })
  async change(@CurrentUser() user: AuthUser, @Body() body: ChangePasswordDto): Promise<AcceptedDto> {
    if (!user.sessionId) throw new BadRequestException('A service token has no password');
    await this.accounts.changePassword(user, body.currentPassword, body.newPassword);
    return { message: 'Your password is changed.' };
  }

  @Get('sessions')
  @Authenticated()
  @ApiOperation({ summary: 'Your live sessions: device, address, when created and last used' })
  @ApiOkResponse({ type: [SessionDto] })
  list(@CurrentUser() user: AuthUser): Promise<SessionDto[]> {
    return this.sessions.list(user);
  }

  @Delete('sessions/:id')
  @Authenticated()
  @HttpCode(204)
  @ApiOperation({ summary: 'End one of your sessions' })
  async revoke(@CurrentUser() user: AuthUser, @Param('id', new ParseUUIDPipe({ exceptionFactory: () => new BadRequestException('id must be a UUID') })) id: string): Promise<void> {
    await this.sessions.revoke(user, id);
  }

  @Post('token')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'OAuth 2.0 client credentials: a `service` access token for a machine client (AUTH_SERVICE_CLIENTS)' })
  @ApiOkResponse({ type: ServiceTokenDto })
  @ApiUnauthorizedResponse({ description: 'Unknown client or wrong secret' })
  token(@Body() body: ClientCredentialsDto, @Req() request: FastifyRequest): Promise<ServiceTokenDto> {
    return this.accounts.clientCredentials(body.client_id, body.client_secret, client(request));
  }

  @Post('keys/rotate')
  @Roles('admin')
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign with a new key from now on (a suspected leak); the old key stays published until its tokens expire' })
  @ApiOkResponse({ type: RotatedKeyDto })
  async rotate(): Promise<RotatedKeyDto> {
    return { kid: await this.keys.rotateNow() };
  }
}
