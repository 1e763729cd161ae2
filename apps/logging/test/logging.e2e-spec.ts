import { describeServiceBasics } from '@statex/testing';
import { loggingService } from '../src/logging.app';
import { LoggingEnv } from '../src/logging.env';

// What every app serves; logging keeps its lines and events in PostgreSQL.
describeServiceBasics(loggingService, LoggingEnv, ['database', 'rabbitmq']);
