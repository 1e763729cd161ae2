import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsISO8601, IsUUID } from 'class-validator';

/** `user.registered`: an account was created in user-portal. */
export class UserRegisteredEvent {
  @ApiProperty({ format: 'uuid' }) @IsUUID() userId!: string;
  @ApiProperty() @IsEmail() email!: string;
  @ApiProperty() @IsISO8601() registeredAt!: string;
}
