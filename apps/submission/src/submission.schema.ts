import { MESSAGING_ENTITIES, MESSAGING_MIGRATIONS } from '@statex/messaging';
import { CreateSubmissionTables1764115300000 } from './migrations/1764115300000-create-submission-tables';
import { AddSubmissionLocale1764115500000 } from './migrations/1764115500000-add-submission-locale';
import { AddSubmissionAnalysis1764115700000 } from './migrations/1764115700000-add-submission-analysis';
import { AddSubmissionListIndexes1764200100000 } from './migrations/1764200100000-add-submission-list-indexes';
import { SUBMISSION_ENTITIES } from './submissions/entities';

/** The submission database: its entities and migrations, in order. */
export const SUBMISSION_SCHEMA = {
  entities: [...SUBMISSION_ENTITIES, ...MESSAGING_ENTITIES],
  migrations: [
    ...MESSAGING_MIGRATIONS,
    CreateSubmissionTables1764115300000,
    AddSubmissionLocale1764115500000,
    AddSubmissionAnalysis1764115700000,
    AddSubmissionListIndexes1764200100000,
  ],
};
