import { describeServiceBasics } from '@statex/testing';
import { loggingService } from '../src/logging.app';
import { LoggingEnv } from '../src/logging.env';

// The logging domain arrives in its own issue; until then the app serves what every app serves.
describeServiceBasics(loggingService, LoggingEnv, ['rabbitmq']);
