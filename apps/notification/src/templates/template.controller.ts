import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { Roles } from '@statex/auth';
import { CONTACT_CHANNELS, ContactChannel, Locale, LOCALES, STAFF_ROLES } from '@statex/contracts';
import { SAMPLE_DATA, TemplateRenderer } from './template.renderer';

class PreviewQuery {
  @ApiPropertyOptional({ enum: CONTACT_CHANNELS, default: 'email' })
  @IsOptional()
  @IsIn(CONTACT_CHANNELS, { message: `channel must be one of: ${CONTACT_CHANNELS.join(', ')}` })
  channel?: ContactChannel;

  @ApiPropertyOptional({ enum: LOCALES, default: 'en' })
  @IsOptional()
  @IsIn(LOCALES, { message: `locale must be one of: ${LOCALES.join(', ')}` })
  locale?: Locale;
}

class PreviewDto {
  @ApiProperty() template!: string;
  @ApiProperty({ enum: CONTACT_CHANNELS }) channel!: ContactChannel;
  @ApiProperty({ enum: LOCALES }) locale!: Locale;
  @ApiPropertyOptional() subject?: string;
  @ApiPropertyOptional() html?: string;
  @ApiProperty() text!: string;
}

@ApiTags('templates')
@Roles(...STAFF_ROLES)
@Controller('templates')
export class TemplateController {
  constructor(private readonly renderer: TemplateRenderer) {}

  @Get()
  @ApiOperation({ summary: 'The message templates' })
  list(): { templates: string[] } {
    return { templates: this.renderer.names() };
  }

  @Get(':name/preview')
  @ApiOperation({ summary: 'Renders a template for a channel and locale with sample data' })
  @ApiOkResponse({ type: PreviewDto })
  preview(@Param('name') name: string, @Query() query: PreviewQuery): PreviewDto {
    const channel = query.channel ?? 'email';
    const locale = query.locale ?? 'en';
    return { template: name, channel, locale, ...this.renderer.render(name, channel, locale, SAMPLE_DATA) };
  }
}
