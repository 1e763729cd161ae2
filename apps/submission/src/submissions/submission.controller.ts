import { BadRequestException, UnsupportedMediaTypeException, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiConsumes,
  ApiExtraModels,
  ApiForbiddenResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnprocessableEntityResponse,
  ApiUnsupportedMediaTypeResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuthUser, CurrentUser, Public, Roles } from '@statex/auth';
import { CreateSubmissionDto, SubmissionAcceptedDto, SubmissionPageDto, SubmissionStatusViewDto, SubmissionViewDto } from '@statex/contracts';
import { addRequestLogFields } from '@statex/observability';
import { validateInput } from '@statex/runtime';
import { MultipartFormReader, UploadedFile } from '../attachments/multipart-form.reader';
import { FormRateLimits } from './form-rate-limits';
import { ListSubmissionsQuery } from './list-submissions.query';
import { SubmissionService } from './submission.service';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

@ApiTags('submissions')
@ApiExtraModels(CreateSubmissionDto, SubmissionViewDto, SubmissionStatusViewDto)
@Controller('submissions')
export class SubmissionController {
  constructor(
    private readonly submissions: SubmissionService,
    private readonly forms: MultipartFormReader,
    private readonly rateLimits: FormRateLimits,
  ) {}

  @Post()
  @Public()
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
  @ApiTooManyRequestsResponse({ description: 'Too many forms in a minute from this address, or for this email address; Retry-After says when to try again' })
  async create(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SubmissionAcceptedDto> {
    // Read here rather than with @Headers(), which would list the header in the document a second
    // time, undescribed, beside the @ApiHeader above.
    const header = request.headers['idempotency-key'];
    const idempotencyKey = Array.isArray(header) ? header.join(', ') : header;
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw new BadRequestException('Idempotency-Key must be 1 to 255 visible ASCII characters');
    }
    // Before any file is read; the email address's own limit is counted once the form is valid.
    await this.rateLimits.countAddress(request.ip);
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
      // On the request's own log line (one line per form): the lead's id puts it on the lead's timeline.
      addRequestLogFields(request.raw, { submissionId: accepted.body.id, attachments: files.length, replayed: accepted.replayed }, 'Submission received');
      if (accepted.replayed) void reply.header('idempotent-replayed', 'true');
      return accepted.body;
    } finally {
      await discard();
    }
  }

  @Get()
  @Roles('operator', 'admin', 'client')
  @ApiOperation({
    summary: 'The submissions, newest first, filtered by email, status or text',
    description: 'Staff see every lead. A client sees only the leads sent with their verified email address.',
  })
  @ApiOkResponse({ type: SubmissionPageDto })
  @ApiBadRequestResponse({ description: 'A query parameter is invalid or unknown; the body names each' })
  @ApiForbiddenResponse({ description: 'A client whose email is not verified, or who asks for another email address’s leads' })
  list(@CurrentUser() user: AuthUser, @Query() query: ListSubmissionsQuery): Promise<SubmissionPageDto> {
    return this.submissions.list(user, query);
  }

  @Get(':id')
  @Public()
  @ApiOperation({
    summary: 'A submission’s status, its attachments and the timeline of its status changes',
    description:
      'Without a token (or for anyone else): the status view, with no personal data and no internal notes. ' +
      'With a staff token, or a client token whose verified email is the one the form was sent with: the full view.',
    security: [{}, { bearer: [] }],
  })
  @ApiOkResponse({
    description: 'SubmissionViewDto for staff and the lead themselves; SubmissionStatusViewDto for anyone else',
    schema: { oneOf: [{ $ref: getSchemaPath(SubmissionViewDto) }, { $ref: getSchemaPath(SubmissionStatusViewDto) }] },
  })
  @ApiNotFoundResponse({ description: 'No submission has this id' })
  @ApiBadRequestResponse({ description: 'The id is not a UUID' })
  get(
    @Param('id', new ParseUUIDPipe({ exceptionFactory: () => new BadRequestException('id must be a UUID') })) id: string,
    @CurrentUser() user: AuthUser | undefined,
  ): Promise<SubmissionViewDto | SubmissionStatusViewDto> {
    return this.submissions.view(id, user);
  }
}
