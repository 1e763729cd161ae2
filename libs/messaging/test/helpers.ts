import { randomUUID } from 'node:crypto';
import type { RequestCreatedEvent } from '@statex/contracts';

/** A valid `request.created` payload whose `message` tells the test handler what to do. */
export function requestCreated(message: string): RequestCreatedEvent {
  return {
    submissionId: randomUUID(),
    name: 'Test Lead',
    email: 'lead@example.com',
    message,
    contactChannel: 'email',
    attachments: [],
    createdAt: new Date().toISOString(),
  };
}
