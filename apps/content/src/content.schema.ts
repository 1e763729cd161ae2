import { MESSAGING_ENTITIES, MESSAGING_MIGRATIONS } from '@statex/messaging';
import { CONTENT_ENTITIES } from './entries/entities';
import { ContentMedia } from './media/media.entity';
import { CreateContentTables1764500000000 } from './migrations/1764500000000-create-content-tables';
import { CreateContentMedia1764500100000 } from './migrations/1764500100000-create-content-media';

/** The content database: entries, their versions, what is published, uploaded media, and the outbox. */
export const CONTENT_SCHEMA = {
  entities: [...CONTENT_ENTITIES, ContentMedia, ...MESSAGING_ENTITIES],
  migrations: [...MESSAGING_MIGRATIONS, CreateContentTables1764500000000, CreateContentMedia1764500100000],
};
