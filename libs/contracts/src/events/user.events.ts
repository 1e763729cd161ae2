import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsIn, IsISO8601, IsOptional, IsString, IsUUID } from 'class-validator';
import { Locale, LOCALES } from '../contact-channel';

/** `user.registered`: an account was created in user-portal (not yet verified). */
export class UserRegisteredEvent {
  @ApiProperty({ format: 'uuid' }) @IsUUID() userId!: string;
  @ApiProperty() @IsEmail() email!: string;
  @ApiPropertyOptional({ enum: LOCALES }) @IsOptional() @IsIn(LOCALES) locale?: Locale;
  @ApiProperty() @IsISO8601() registeredAt!: string;
}

/** `user.verified`: the account's email address was confirmed. */
export class UserVerifiedEvent {
  @ApiProperty({ format: 'uuid' }) @IsUUID() userId!: string;
  @ApiProperty() @IsEmail() email!: string;
  @ApiProperty() @IsISO8601() verifiedAt!: string;
}

/** `user.password_changed`: by the user (change) or through a reset link (reset); every session was revoked on reset. */
export class UserPasswordChangedEvent {
  @ApiProperty({ format: 'uuid' }) @IsUUID() userId!: string;
  @ApiProperty({ enum: ['change', 'reset'] }) @IsIn(['change', 'reset']) via!: 'change' | 'reset';
  @ApiProperty() @IsISO8601() changedAt!: string;
}

/**
 * `user.deleted`: the account and its personal data are gone from user-portal; every consumer
 * erases what it keeps of it (notification: the messages to the address; logging: the events
 * naming the account or the address). `email` is the address the account had, so they can.
 */
export class UserDeletedEvent {
  @ApiProperty({ format: 'uuid' }) @IsUUID() userId!: string;
  @ApiProperty() @IsEmail() email!: string;
  @ApiProperty({ enum: ['self', 'admin'] }) @IsIn(['self', 'admin']) by!: 'self' | 'admin';
  @ApiPropertyOptional() @IsOptional() @IsString() reason?: string;
  @ApiProperty() @IsISO8601() deletedAt!: string;
}
