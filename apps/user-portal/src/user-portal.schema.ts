import { MESSAGING_ENTITIES, MESSAGING_MIGRATIONS } from '@statex/messaging';
import { USER_PORTAL_ENTITIES } from './accounts/entities';
import { CreateAccountTables1764200000000 } from './migrations/1764200000000-create-account-tables';

/** The user-portal database: accounts, sessions, one-time tokens and signing keys. */
export const USER_PORTAL_SCHEMA = {
  entities: [...USER_PORTAL_ENTITIES, ...MESSAGING_ENTITIES],
  migrations: [...MESSAGING_MIGRATIONS, CreateAccountTables1764200000000],
};
