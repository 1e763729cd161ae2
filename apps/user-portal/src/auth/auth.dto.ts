import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { Equals, IsEmail, IsIn, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { Locale, LOCALES, SingleLine } from '@statex/contracts';
import { PASSWORD_MAX_LENGTH } from '../passwords/password-policy';

const trimLower = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value);
const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

/** Length is checked by the password policy (a 400 naming it); this only bounds the work a body can ask for. */
const PasswordField = () => (target: object, key: string) => {
  IsString()(target, key);
  IsNotEmpty()(target, key);
  MaxLength(PASSWORD_MAX_LENGTH * 4)(target, key);
};

export class RegisterDto {
  @ApiProperty({ example: 'jana@example.com' }) @Transform(trimLower) @IsEmail({}, { message: 'email must be a valid email address' }) @MaxLength(320) email!: string;
  @ApiProperty({ minLength: 8, maxLength: PASSWORD_MAX_LENGTH }) @PasswordField() password!: string;
  @ApiProperty({ example: 'Jana Nováková' }) @Transform(trim) @IsString() @IsNotEmpty() @MaxLength(200) @SingleLine() name!: string;
  @ApiPropertyOptional({ enum: LOCALES, default: 'en' }) @IsOptional() @IsIn(LOCALES, { message: `locale must be one of: ${LOCALES.join(', ')}` }) locale?: Locale;
}

export class EmailDto {
  @ApiProperty({ example: 'jana@example.com' }) @Transform(trimLower) @IsEmail({}, { message: 'email must be a valid email address' }) @MaxLength(320) email!: string;
}

export class TokenDto {
  @ApiProperty({ description: 'The `token` query parameter of the emailed link' }) @IsString() @IsNotEmpty() @MaxLength(200) token!: string;
}

export class LoginDto {
  @ApiProperty({ example: 'admin@statex.local' }) @Transform(trimLower) @IsEmail({ require_tld: false }, { message: 'email must be a valid email address' }) @MaxLength(320) email!: string;
  @ApiProperty() @PasswordField() password!: string;
}

export class RefreshDto {
  @ApiProperty() @IsString() @IsNotEmpty() @MaxLength(200) refreshToken!: string;
}

export class ResetPasswordDto {
  @ApiProperty() @IsString() @IsNotEmpty() @MaxLength(200) token!: string;
  @ApiProperty({ minLength: 8, maxLength: PASSWORD_MAX_LENGTH }) @PasswordField() password!: string;
}

export class ChangePasswordDto {
  @ApiProperty() @PasswordField() currentPassword!: string;
  @ApiProperty({ minLength: 8, maxLength: PASSWORD_MAX_LENGTH }) @PasswordField() newPassword!: string;
}

export class ClientCredentialsDto {
  @ApiProperty({ enum: ['client_credentials'] }) @Equals('client_credentials', { message: 'grant_type must be client_credentials' }) grant_type!: 'client_credentials';
  @ApiProperty() @IsString() @IsNotEmpty() @MaxLength(100) client_id!: string;
  @ApiProperty() @IsString() @IsNotEmpty() @MaxLength(500) client_secret!: string;
}

export class TokenPairDto {
  @ApiProperty({ description: 'A JWT (EdDSA, `kid` in its header) every StateX service verifies against the JWKS' }) accessToken!: string;
  @ApiProperty({ description: 'Opaque, single use: every refresh returns a new one' }) refreshToken!: string;
  @ApiProperty({ enum: ['Bearer'] }) tokenType!: 'Bearer';
  @ApiProperty({ description: 'Seconds until the access token expires' }) expiresIn!: number;
}

export class ServiceTokenDto {
  @ApiProperty() accessToken!: string;
  @ApiProperty({ enum: ['Bearer'] }) tokenType!: 'Bearer';
  @ApiProperty() expiresIn!: number;
}

export class AcceptedDto {
  @ApiProperty() message!: string;
}

export class SessionDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiPropertyOptional({ description: 'The User-Agent that signed in' }) device?: string;
  @ApiPropertyOptional() ip?: string;
  @ApiProperty() createdAt!: string;
  @ApiProperty() lastUsedAt!: string;
  @ApiProperty() expiresAt!: string;
  @ApiProperty({ description: 'The session of the token making this request' }) current!: boolean;
}
