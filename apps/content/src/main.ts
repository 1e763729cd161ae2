import 'reflect-metadata';
import { runService } from '@statex/runtime';
import { contentService } from './content.service';

runService(contentService);
