import { MESSAGING_ENTITIES, MESSAGING_MIGRATIONS } from '@statex/messaging';
import { CreateLogTables1764400000000 } from './migrations/1764400000000-create-log-tables';

/** The logging database: log lines partitioned by day, and the event log. Queried in SQL, no entities of its own. */
export const LOGGING_SCHEMA = {
  entities: [...MESSAGING_ENTITIES],
  migrations: [...MESSAGING_MIGRATIONS, CreateLogTables1764400000000],
};
