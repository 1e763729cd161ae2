import { IsIn, IsInt, IsUrl, Max, Min } from 'class-validator';
import { DatabaseEnv, NumberFromEnv } from '@statex/config';

export class LoggingEnv extends DatabaseEnv {
  @NumberFromEnv()
  @IsInt()
  @Min(1)
  @Max(65535)
  LOGGING_PORT: number = 8007;

  /** Log lines are kept this many days (whole days, by partition); older partitions are dropped. */
  @NumberFromEnv()
  @IsInt()
  @Min(1)
  @Max(3650)
  LOG_RETENTION_DAYS: number = 14;

  /** Daily partitions created ahead of time. */
  @NumberFromEnv()
  @IsInt()
  @Min(1)
  @Max(31)
  LOG_PARTITIONS_AHEAD_DAYS: number = 3;

  /** How often partitions are created ahead and expired ones dropped. */
  @NumberFromEnv()
  @IsInt()
  @Min(1000)
  LOG_MAINTENANCE_INTERVAL_MS: number = 3_600_000;

  /** Lines accepted in one `POST /api/logs` batch. */
  @NumberFromEnv()
  @IsInt()
  @Min(1)
  @Max(100_000)
  LOG_INGEST_MAX_LINES: number = 5000;

  /** `postgres`: lines are stored in PostgreSQL (queried by the API). `elasticsearch`: also bulk-indexed into Elasticsearch. */
  @IsIn(['postgres', 'elasticsearch'])
  LOG_SINK: 'postgres' | 'elasticsearch' = 'postgres';

  @IsUrl({ require_tld: false, require_protocol: true })
  ELASTICSEARCH_URL = 'http://127.0.0.1:9200';
}
