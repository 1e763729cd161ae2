import { describeServiceBasics } from '@statex/testing';
import { userPortalService } from '../src/user-portal.app';
import { UserPortalEnv } from '../src/user-portal.env';

// What every app serves; user-portal keeps its accounts in PostgreSQL and throttles sign-ins in Redis.
describeServiceBasics(userPortalService, UserPortalEnv, ['database', 'rabbitmq', 'redis']);
