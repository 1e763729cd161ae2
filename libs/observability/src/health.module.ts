import { Controller, DynamicModule, Get, Inject, Module, Type } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorResult, TerminusModule } from '@nestjs/terminus';
import { Public } from '@statex/auth';

/** A dependency that `/health/ready` checks: its database, RabbitMQ, Redis… */
export interface ReadinessCheck {
  readonly name: string;
  isHealthy(): Promise<HealthIndicatorResult>;
}

export const READINESS_CHECKS = Symbol('READINESS_CHECKS');

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    @Inject(READINESS_CHECKS) private readonly checks: ReadinessCheck[],
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process is up and serving HTTP' })
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: every dependency answers; 503 names the failing check' })
  @HealthCheck()
  ready() {
    return this.health.check(this.checks.map((check) => () => check.isHealthy()));
  }
}

@Module({})
export class HealthModule {
  /** `checks` are classes provided (and exported) by the persistence, messaging and redis modules. */
  static forRoot(checks: Type<ReadinessCheck>[]): DynamicModule {
    return {
      module: HealthModule,
      imports: [TerminusModule.forRoot({ errorLogStyle: 'pretty', logger: false })],
      controllers: [HealthController],
      providers: [{ provide: READINESS_CHECKS, inject: checks, useFactory: (...instances: ReadinessCheck[]) => instances }],
    };
  }
}
