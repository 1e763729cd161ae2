import './tracing';
import 'reflect-metadata';
import { runService } from '@statex/runtime';
import { aiOrchestratorService } from './ai-orchestrator.app';

runService(aiOrchestratorService);
