import './tracing';
import 'reflect-metadata';
import { runService } from '@statex/runtime';
import { notificationService } from './notification.app';

runService(notificationService);
