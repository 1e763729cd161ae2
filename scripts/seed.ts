/**
 * `npm run seed`: loads the website's starting content (the agency's services and the home page,
 * in English and Czech) into the content database. Idempotent: entries that exist are left as
 * editors made them. The content service also loads it at start when its database is empty.
 */
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { loadEnv } from '@statex/config';
import { ContentEnv } from '../apps/content/src/content.env';
import { seedContentDatabase } from '../apps/content/src/seed/seed-command';

async function main(): Promise<void> {
  // One summary line rather than a line per entry; warnings and errors still show.
  Logger.overrideLogger(['warn', 'error']);
  const outcome = await seedContentDatabase(loadEnv(ContentEnv));
  console.log(`content (${outcome.database}): ${outcome.created} entries created, ${outcome.existing} already there`);
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
