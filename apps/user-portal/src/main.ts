import './tracing';
import 'reflect-metadata';
import { runService } from '@statex/runtime';
import { userPortalService } from './user-portal.app';

runService(userPortalService);
