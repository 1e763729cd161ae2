import './tracing';
import 'reflect-metadata';
import { runService } from '@statex/runtime';
import { submissionService } from './submission.app';

runService(submissionService);
