import { ConflictException, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ContentEnv } from '../content.env';
import { EditorialService } from '../entries/editorial.service';
import { EntryRepository } from '../entries/entry.repository';
import { STARTING_CONTENT, StartingEntry } from './starting-content';

export interface SeedOutcome {
  created: number;
  existing: number;
}

/**
 * Loads the starting content: each entry that does not exist yet (by type, locale and slug) is
 * created and published; existing ones are left as editors made them. Running it again changes nothing.
 */
export async function seedStartingContent(entries: EntryRepository, editorial: EditorialService, content: StartingEntry[] = STARTING_CONTENT): Promise<SeedOutcome> {
  const outcome: SeedOutcome = { created: 0, existing: 0 };
  for (const item of content) {
    if (await entries.findBySlug(item.type, item.locale, item.slug)) {
      outcome.existing += 1;
      continue;
    }
    try {
      const { type, ...dto } = item;
      const created = await editorial.create(type, dto, null);
      await editorial.publish(type, created.id, undefined, null);
      outcome.created += 1;
    } catch (error) {
      // Another replica (or `npm run seed`) created it meanwhile.
      if (!(error instanceof ConflictException)) throw error;
      outcome.existing += 1;
    }
  }
  return outcome;
}

/** At start, an empty content database gets the starting content, so the website has something to show. */
@Injectable()
export class StartingContentLoader implements OnApplicationBootstrap {
  private readonly logger = new Logger('StartingContent');

  constructor(
    private readonly entries: EntryRepository,
    private readonly editorial: EditorialService,
    private readonly env: ContentEnv,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.env.CONTENT_SEED_ON_START || (await this.entries.count()) > 0) return;
    const outcome = await seedStartingContent(this.entries, this.editorial);
    this.logger.log(`The content database was empty: loaded ${outcome.created} starting entries`);
  }
}
