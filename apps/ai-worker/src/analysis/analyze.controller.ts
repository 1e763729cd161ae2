import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { Roles } from '@statex/auth';
import { AnalysisResultDto, Locale, LOCALES, STAFF_ROLES } from '@statex/contracts';
import { AnalysisService } from './analysis.service';

class AnalyzeDto {
  @ApiProperty({ example: 'We need an online shop with card payments, budget 20 000 EUR, by March.' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(50_000)
  text!: string;

  @ApiPropertyOptional({ example: 'Jana' }) @IsOptional() @IsString() @MaxLength(200) name?: string;

  @ApiPropertyOptional({ enum: LOCALES, description: 'Language of the proposal; detected if omitted' })
  @IsOptional()
  @IsIn(LOCALES, { message: `locale must be one of: ${LOCALES.join(', ')}` })
  locale?: Locale;
}

@ApiTags('analysis')
@Roles(...STAFF_ROLES)
@Controller('analyze')
export class AnalyzeController {
  constructor(private readonly analysis: AnalysisService) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Analyse a text synchronously with the configured provider (for exploring from Swagger)' })
  @ApiOkResponse({ type: AnalysisResultDto })
  async analyze(@Body() body: AnalyzeDto): Promise<AnalysisResultDto> {
    const result = await this.analysis.analyze({ text: body.text, locale: body.locale, name: body.name ?? 'there' });
    const fallback = Object.values(result).find((r) => r.fallback)?.fallback;
    return {
      extract: result.extract.output,
      classify: result.classify.output,
      summarize: result.summarize.output,
      propose: result.propose.output,
      provider: result.classify.provider,
      fallback: fallback ? `${fallback.from} failed (${fallback.reason}); local answered` : undefined,
    };
  }
}
