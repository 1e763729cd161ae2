import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Observable, throwError } from 'rxjs';

/**
 * One filter for both sides of a hybrid app.
 * HTTP errors as JSON: Nest exceptions keep their body; errors Fastify and its plugins
 * raise with a 4xx statusCode (bad JSON, unsupported media type, file too large…) keep
 * their status and message; anything else is a logged 500 that reveals nothing.
 */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void | Observable<never> {
    // Message handlers: hand the original error back to the transport, which retries or parks it.
    if (host.getType() === 'rpc') return throwError(() => exception);
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    if (exception instanceof HttpException) {
      const body = exception.getResponse();
      const retryAfter = (exception as { retryAfterSeconds?: unknown }).retryAfterSeconds;
      if (typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
      void reply.status(exception.getStatus()).send(typeof body === 'string' ? { statusCode: exception.getStatus(), message: body } : body);
      return;
    }
    const statusCode = (exception as { statusCode?: unknown })?.statusCode;
    if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
      const error = exception as { message?: string; code?: string };
      void reply.status(statusCode).send({ statusCode, error: error.code, message: error.message });
      return;
    }
    this.logger.error({ err: exception, url: request.url }, 'Unhandled error');
    void reply.status(500).send({ statusCode: 500, message: 'Internal server error' });
  }
}
