import { describeServiceBasics } from '@statex/testing';
import { contentService } from '../src/content.app';
import { ContentEnv } from '../src/content.env';

// Its own database, the broker, and Redis for the public cache.
describeServiceBasics(contentService, ContentEnv, ['database', 'rabbitmq', 'redis']);
