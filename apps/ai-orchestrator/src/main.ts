import 'reflect-metadata';
import { runService } from '@statex/runtime';
import { aiOrchestratorService } from './ai-orchestrator.service';

runService(aiOrchestratorService);
