import { MESSAGING_ENTITIES, MESSAGING_MIGRATIONS } from '@statex/messaging';
import { CreateWorkflowTables1764115800000 } from './migrations/1764115800000-create-workflow-tables';
import { WorkflowTraceContext1765000000001 } from './migrations/1765000000001-workflow-trace-context';
import { WORKFLOW_ENTITIES } from './workflows/entities';

/** The ai-orchestrator database: workflows and their steps. */
export const AI_ORCHESTRATOR_SCHEMA = {
  entities: [...WORKFLOW_ENTITIES, ...MESSAGING_ENTITIES],
  migrations: [...MESSAGING_MIGRATIONS, CreateWorkflowTables1764115800000, WorkflowTraceContext1765000000001],
};
