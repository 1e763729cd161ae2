import './tracing';
import 'reflect-metadata';
import { runService } from '@statex/runtime';
import { loggingService } from './logging.app';

runService(loggingService);
