import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, TypeOrmHealthIndicator } from '@nestjs/terminus';

/** Readiness: the service's database answers a ping within 2 s. */
@Injectable()
export class DatabaseReadinessCheck {
  readonly name = 'database';
  constructor(private readonly typeorm: TypeOrmHealthIndicator) {}
  isHealthy(): Promise<HealthIndicatorResult> {
    return this.typeorm.pingCheck(this.name, { timeout: 2000 });
  }
}
