import 'reflect-metadata';
import { runService } from '@statex/runtime';
import { userPortalService } from './user-portal.service';

runService(userPortalService);
