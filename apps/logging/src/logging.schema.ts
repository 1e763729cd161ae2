import { MESSAGING_ENTITIES, MESSAGING_MIGRATIONS } from '@statex/messaging';
import { CreateLogTables1764400000000 } from './migrations/1764400000000-create-log-tables';
import { ErasedAccounts1764600000000 } from './migrations/1764600000000-erased-accounts';

/** The logging database: log lines partitioned by day, the event log, and the accounts erased from it. Queried in SQL, no entities of its own. */
export const LOGGING_SCHEMA = {
  entities: [...MESSAGING_ENTITIES],
  migrations: [...MESSAGING_MIGRATIONS, CreateLogTables1764400000000, ErasedAccounts1764600000000],
};
