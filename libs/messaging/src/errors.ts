/** Thrown by a handler when retrying cannot help: the message is parked in the `.dlq` at once. */
export class PermanentMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentMessageError';
  }
}

/** The broker had no queue (and no alternate exchange) for a mandatory message. */
export class UnroutableMessageError extends Error {
  constructor(routingKey: string) {
    super(`No queue is bound for routing key "${routingKey}"`);
    this.name = 'UnroutableMessageError';
  }
}
