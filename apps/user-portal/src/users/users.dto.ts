import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsNotEmpty, IsOptional, IsString, IsUUID, Max, MaxLength, Min } from 'class-validator';
import { Locale, LOCALES, SingleLine, USER_ROLES, UserRole } from '@statex/contracts';
import type { User } from '../accounts/entities';

export class UserDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() email!: string;
  @ApiProperty() emailVerified!: boolean;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: LOCALES }) locale!: Locale;
  @ApiProperty({ enum: USER_ROLES }) role!: UserRole;
  @ApiProperty() disabled!: boolean;
  @ApiProperty() createdAt!: string;
}

export function userView(u: User): UserDto {
  return { id: u.id, email: u.email, emailVerified: u.emailVerifiedAt !== null, name: u.name, locale: u.locale, role: u.role, disabled: u.disabledAt !== null, createdAt: u.createdAt.toISOString() };
}

export class UpdateMeDto {
  @ApiPropertyOptional() @IsOptional() @Transform(({ value }) => (typeof value === 'string' ? value.trim() : value)) @IsString() @IsNotEmpty() @MaxLength(200) @SingleLine() name?: string;
  @ApiPropertyOptional({ enum: LOCALES }) @IsOptional() @IsIn(LOCALES, { message: `locale must be one of: ${LOCALES.join(', ')}` }) locale?: Locale;
}

export class UserQuery {
  @ApiPropertyOptional({ description: 'Part of the email or name' }) @IsOptional() @IsString() @MaxLength(200) q?: string;
  @ApiPropertyOptional({ enum: USER_ROLES }) @IsOptional() @IsIn(USER_ROLES, { message: `role must be one of: ${USER_ROLES.join(', ')}` }) role?: UserRole;
  @ApiPropertyOptional({ default: 1 }) @IsOptional() @Type(() => Number) @IsInt({ message: 'page must be a whole number' }) @Min(1) @Max(10_000) page?: number;
  @ApiPropertyOptional({ default: 20 }) @IsOptional() @Type(() => Number) @IsInt({ message: 'pageSize must be a whole number' }) @Min(1) @Max(100) pageSize?: number;
}

export class UserPageDto {
  @ApiProperty({ type: [UserDto] }) items!: UserDto[];
  @ApiProperty() page!: number;
  @ApiProperty() pageSize!: number;
  @ApiProperty() total!: number;
}

export class AdminUpdateUserDto {
  @ApiPropertyOptional({ enum: USER_ROLES }) @IsOptional() @IsIn(USER_ROLES, { message: `role must be one of: ${USER_ROLES.join(', ')}` }) role?: UserRole;
  @ApiPropertyOptional({ description: 'true disables the account and ends its sessions' }) @IsOptional() @IsBoolean({ message: 'disabled must be true or false' }) disabled?: boolean;
}

export class UserIdParam {
  @IsUUID('all', { message: 'id must be a UUID' }) id!: string;
}
