import './tracing';
import 'reflect-metadata';
import { runService } from '@statex/runtime';
import { aiWorkerService } from './ai-worker.app';

runService(aiWorkerService);
