import { Body, Controller, Get, HttpCode, NotFoundException, Param, Post, Query } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ApiAcceptedResponse, ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsUUID } from 'class-validator';
import { Roles } from '@statex/auth';
import { ANALYSIS_STEPS, RequestCreatedEvent, RoutingKey, STAFF_ROLES } from '@statex/contracts';
import { EventContext } from '@statex/messaging';
import { Workflow, WorkflowStepRecord } from './entities';
import { WorkflowRepository } from './workflow.repository';
import { WorkflowService } from './workflow.service';

class WorkflowIdParam {
  @IsUUID('all', { message: 'id must be a UUID' }) id!: string;
}

class SubmissionQuery {
  @ApiProperty({ format: 'uuid' }) @IsUUID('all', { message: 'submissionId must be a UUID' }) submissionId!: string;
}

class RerunDto {
  @ApiProperty({ format: 'uuid' }) @IsUUID('all', { message: 'submissionId must be a UUID' }) submissionId!: string;
}

class StepView {
  @ApiProperty({ enum: ANALYSIS_STEPS }) step!: string;
  @ApiProperty({ enum: ['pending', 'active', 'completed', 'failed', 'cancelled'] }) status!: string;
  @ApiProperty() attempts!: number;
  @ApiProperty({ description: '0–100' }) progress!: number;
  @ApiPropertyOptional() startedAt?: string;
  @ApiPropertyOptional() finishedAt?: string;
  @ApiPropertyOptional() durationMs?: number;
  @ApiPropertyOptional() provider?: string;
  @ApiPropertyOptional() model?: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) usage?: object;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) fallback?: object;
  @ApiPropertyOptional() worker?: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) output?: object;
  @ApiPropertyOptional() error?: string;
}

class WorkflowView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) submissionId!: string;
  @ApiProperty() run!: number;
  @ApiProperty({ enum: ['running', 'completed', 'failed', 'cancelled'] }) status!: string;
  @ApiPropertyOptional() reason?: string;
  @ApiProperty() startedAt!: string;
  @ApiPropertyOptional() finishedAt?: string;
  @ApiProperty({ type: [StepView] }) steps!: StepView[];
  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) result?: object;
}

function stepView(r: WorkflowStepRecord): StepView {
  return {
    step: r.step,
    status: r.status,
    attempts: r.attempts,
    progress: r.progress,
    startedAt: r.startedAt?.toISOString(),
    finishedAt: r.finishedAt?.toISOString(),
    durationMs: r.durationMs ?? undefined,
    provider: r.provider ?? undefined,
    model: r.model ?? undefined,
    usage: r.usage ?? undefined,
    fallback: r.fallback ?? undefined,
    worker: r.worker ?? undefined,
    output: r.output ?? undefined,
    error: r.error ?? undefined,
  };
}

@ApiTags('workflows')
@Roles(...STAFF_ROLES)
@Controller('workflows')
export class WorkflowController {
  constructor(
    private readonly workflows: WorkflowService,
    private readonly repository: WorkflowRepository,
  ) {}

  private async view(w: Workflow): Promise<WorkflowView> {
    const steps = await this.repository.steps(w.id);
    const order = (s: string) => ANALYSIS_STEPS.indexOf(s as (typeof ANALYSIS_STEPS)[number]);
    return {
      id: w.id,
      submissionId: w.submissionId,
      run: w.run,
      status: w.status,
      reason: w.reason ?? undefined,
      startedAt: w.startedAt.toISOString(),
      finishedAt: w.finishedAt?.toISOString(),
      steps: steps.sort((a, b) => order(a.step) - order(b.step)).map(stepView),
      result: w.result ?? undefined,
    };
  }

  @Get()
  @ApiOperation({ summary: 'The workflows (runs) of a submission, oldest first' })
  @ApiOkResponse({ type: [WorkflowView] })
  async list(@Query() { submissionId }: SubmissionQuery): Promise<WorkflowView[]> {
    return Promise.all((await this.repository.bySubmission(submissionId)).map((w) => this.view(w)));
  }

  @Get(':id')
  @ApiOperation({ summary: 'A workflow with each step’s status, attempts, progress, timing, provider, usage and output' })
  @ApiOkResponse({ type: WorkflowView })
  @ApiNotFoundResponse({ description: 'No workflow has this id' })
  async get(@Param() { id }: WorkflowIdParam): Promise<WorkflowView> {
    const workflow = await this.repository.findById(id);
    if (!workflow) throw new NotFoundException(`Workflow ${id} not found`);
    return this.view(workflow);
  }

  @Post()
  @HttpCode(202)
  @ApiOperation({ summary: 'Analyse a submission again (a new run, kept beside the earlier ones)' })
  @ApiAcceptedResponse({ type: WorkflowView })
  @ApiNotFoundResponse({ description: 'The submission was never analysed, so its text is not known here' })
  async rerun(@Body() body: RerunDto): Promise<WorkflowView> {
    return this.view(await this.workflows.rerun(body.submissionId));
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel a running workflow' })
  @ApiConflictResponse({ description: 'The workflow is not running' })
  async cancel(@Param() { id }: WorkflowIdParam): Promise<WorkflowView> {
    return this.view(await this.workflows.cancel(id));
  }

  @EventPattern(RoutingKey.RequestCreated)
  onRequestCreated(@Payload() event: RequestCreatedEvent, @Ctx() ctx: EventContext): Promise<void> {
    return this.workflows.startFor(event, ctx);
  }
}
