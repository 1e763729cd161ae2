import { describeServiceBasics } from '@statex/testing';
import { contentService } from '../src/content.app';
import { ContentEnv } from '../src/content.env';

// The content domain arrives in its own issue; until then the app serves what every app serves.
describeServiceBasics(contentService, ContentEnv, ['rabbitmq']);
