import { IsInt, IsNotEmpty, IsString, Max, Min, ValidateIf } from 'class-validator';
import { BooleanFromEnv, DatabaseEnv, NumberFromEnv } from '@statex/config';

export class NotificationEnv extends DatabaseEnv {
  @NumberFromEnv()
  @IsInt()
  @Min(1)
  @Max(65535)
  NOTIFICATION_PORT: number = 8005;

  @IsString()
  @IsNotEmpty()
  SMTP_HOST = '127.0.0.1';

  @NumberFromEnv()
  @IsInt()
  @Min(1)
  @Max(65535)
  SMTP_PORT: number = 1025;

  /** true for implicit TLS (port 465); STARTTLS is used whenever the server offers it. */
  @BooleanFromEnv()
  SMTP_SECURE: boolean = false;

  @IsString()
  SMTP_USER = '';

  @ValidateIf((env: NotificationEnv) => env.SMTP_USER !== '')
  @IsString()
  @IsNotEmpty({ message: 'SMTP_PASS is required when SMTP_USER is set' })
  SMTP_PASS = '';

  /** The From header, e.g. `StateX <hello@statex.cz>`. */
  @IsString()
  @IsNotEmpty()
  SMTP_FROM = 'StateX <no-reply@statex.local>';

}
