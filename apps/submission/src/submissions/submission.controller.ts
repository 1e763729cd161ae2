import { BadRequestException, UnsupportedMediaTypeException, Controller, Get, Headers, HttpCode, Param, ParseUUIDPipe, Post, Req, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBadRequestResponse, ApiBody, ApiConsumes, ApiExtraModels, ApiHeader, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiPayloadTooLargeResponse, ApiTags, ApiUnprocessableEntityResponse, ApiUnsupportedMediaTypeResponse, getSchemaPath } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CreateSubmissionDto, SubmissionAcceptedDto, SubmissionViewDto } from '@statex/contracts';
import { validateInput } from '@statex/runtime';
import { MultipartFormReader, UploadedFile } from '../attachments/multipart-form.reader';
import { SubmissionService } from './submission.service';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

@ApiTags('submissions')
@ApiExtraModels(CreateSubmissionDto)
@Controller('submissions')
export class SubmissionController {
  constructor(
    private readonly submissions: SubmissionService,
    private readonly forms: MultipartFormReader,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({ summary: 'Submit the contact form (JSON, or multipart/form-data with up to 5 files in `attachments`)' })
  @ApiConsumes('application/json', 'multipart/form-data')
  @ApiBody({
    schema: {
      allOf: [{ $ref: getSchemaPath(CreateSubmissionDto) }],
      properties: { attachments: { type: 'array', items: { type: 'string', format: 'binary' }, description: 'multipart only: pdf, png, jpeg, docx or txt, each at most 10 MB' } },
    },
  })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'A retried POST with the same key returns the first response and creates nothing' })
  @ApiAcceptedResponse({ type: SubmissionAcceptedDto })
  @ApiBadRequestResponse({ description: 'A field is missing, invalid or unknown; the body names each' })
  @ApiPayloadTooLargeResponse({ description: 'An attachment is too large, or there are too many' })
  @ApiUnsupportedMediaTypeResponse({ description: 'An attachment’s content is not an accepted type' })
  @ApiUnprocessableEntityResponse({ description: 'The Idempotency-Key was used for a different request' })
  async create(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<SubmissionAcceptedDto> {
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw new BadRequestException('Idempotency-Key must be 1 to 255 visible ASCII characters');
    }
    let files: UploadedFile[] = [];
    let discard = async () => undefined as void;
    let fields: unknown = request.body;
    if (request.isMultipart()) {
      const form = await this.forms.read(request);
      ({ fields, files } = form);
      discard = form.discard;
    } else if (!/^application\/json\b/i.test(request.headers['content-type'] ?? '')) {
      throw new UnsupportedMediaTypeException('Content-Type must be application/json or multipart/form-data');
    }
    try {
      const input = await validateInput(CreateSubmissionDto, fields ?? {});
      const accepted = await this.submissions.create(input, files, idempotencyKey);
      if (accepted.replayed) void reply.header('idempotent-replayed', 'true');
      return accepted.body;
    } finally {
      await discard();
    }
  }

  @Get(':id')
  @ApiOperation({ summary: 'A submission’s status, its attachments and the timeline of its status changes' })
  @ApiOkResponse({ type: SubmissionViewDto })
  @ApiNotFoundResponse({ description: 'No submission has this id' })
  @ApiBadRequestResponse({ description: 'The id is not a UUID' })
  get(@Param('id', new ParseUUIDPipe({ exceptionFactory: () => new BadRequestException('id must be a UUID') })) id: string): Promise<SubmissionViewDto> {
    return this.submissions.view(id);
  }
}
