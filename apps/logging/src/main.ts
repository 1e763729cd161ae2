import 'reflect-metadata';
import { runService } from '@statex/runtime';
import { loggingService } from './logging.service';

runService(loggingService);
