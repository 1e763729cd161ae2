import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Observable, throwError } from 'rxjs';

/**
 * One filter for both sides of a hybrid app.
 * HTTP errors as JSON: Nest exceptions keep their body; errors Fastify and its plugins
 * raise with a 4xx statusCode (bad JSON, unsupported media type, file too large…) keep
 * their status and message; an error while the service's database or Redis does not answer is a
 * 503 naming it, with Retry-After (a lead refused now can be sent again; nothing was half-done);
 * anything else is a logged 500 that reveals nothing.
 */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrorFilter');

  /** `dependencies`: the first of the service's dependencies that does not answer, or null. */
  constructor(private readonly dependencies?: () => Promise<string | null>) {}

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
    if (!this.dependencies) return this.internalError(exception, request, reply);
    void this.dependencies()
      .catch(() => null)
      .then((down) => {
        if (!down) return this.internalError(exception, request, reply);
        this.logger.warn({ url: request.url, down }, 'Refused a request while a dependency is unreachable');
        void reply.status(503).header('retry-after', '5').send({ statusCode: 503, error: 'Service Unavailable', message: `${down}: nothing was stored; try again shortly` });
      });
  }

  private internalError(exception: unknown, request: FastifyRequest, reply: FastifyReply): void {
    this.logger.error({ err: exception, url: request.url }, 'Unhandled error');
    void reply.status(500).send({ statusCode: 500, message: 'Internal server error' });
  }
}
