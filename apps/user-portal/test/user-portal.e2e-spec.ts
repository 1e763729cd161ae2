import { describeServiceBasics } from '@statex/testing';
import { userPortalService } from '../src/user-portal.app';
import { UserPortalEnv } from '../src/user-portal.env';

// The user-portal domain arrives in its own issue; until then the app serves what every app serves.
describeServiceBasics(userPortalService, UserPortalEnv, ['rabbitmq']);
