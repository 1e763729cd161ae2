import './tracing';
import 'reflect-metadata';
import { runService } from '@statex/runtime';
import { contentService } from './content.app';

runService(contentService);
