import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

type Operation = {
  parameters?: { in: string }[];
  requestBody?: unknown;
  responses: Record<string, unknown>;
};

const ERROR_SCHEMA = {
  type: 'object',
  required: ['statusCode', 'message'],
  properties: {
    statusCode: { type: 'integer' },
    error: { type: 'string' },
    message: { type: 'string' },
    errors: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, messages: { type: 'array', items: { type: 'string' } } } } },
  },
};

const COMMON_ERRORS: Record<string, string> = {
  '400': 'The input is invalid: the body names each bad field',
  '404': 'Nothing has this id',
  '413': 'The body is larger than this route accepts',
  '414': 'The URL is longer than the server reads',
  '415': 'The body is not of a content type this route accepts',
  '431': 'The request headers are larger than the server reads',
  '503': 'A dependency (the database, Redis) does not answer right now: nothing was done; try again after Retry-After',
};

/**
 * Declares the errors that the shared pipeline answers on any route of a given shape, so the
 * document says every status a route can give: 414 and 431 anywhere (the HTTP parser), 503
 * anywhere (a dependency unreachable), 400
 * where there is input (the validation pipe), 404 where a path names something, 400, 413 and
 * 415 on every method that may carry a body (the body parsers run before any route).
 * Routes declare their own 401/403 (`@Roles`), 409, 422 and 429.
 */
export function declareCommonErrors(document: OpenAPIObject): OpenAPIObject {
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ErrorResponse: ERROR_SCHEMA as never } };
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item as Record<string, Operation>)) {
      if (!operation || typeof operation !== 'object' || !('responses' in operation)) continue;
      const params = operation.parameters ?? [];
      const statuses = new Set(['414', '431', '503']);
      const hasPath = path.includes('{');
      if (params.length > 0 || operation.requestBody || hasPath) statuses.add('400');
      if (hasPath) statuses.add('404');
      if (operation.requestBody || ['post', 'put', 'patch', 'delete'].includes(method)) ['400', '413', '415'].forEach((s) => statuses.add(s));
      for (const status of statuses) {
        const declared = operation.responses[status] as { content?: unknown } | undefined;
        operation.responses[status] = {
          description: COMMON_ERRORS[status],
          ...(declared ?? {}),
          content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponse' } } },
        };
      }
    }
  }
  return document;
}

/**
 * Swagger UI at `/docs`, the OpenAPI 3 document at `/docs-json`. The document is built on its
 * first request, not at start: an app nobody asks for its contract does not hold it (or the
 * work of scanning every route for it) in its idle memory.
 */
export function setupSwagger(app: INestApplication, service: string, description: string): void {
  const config = new DocumentBuilder()
    .setTitle(`StateX ${service}`)
    .setDescription(description)
    .setVersion(process.env.npm_package_version ?? '0.1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token from user-portal: POST /api/auth/login' })
    .build();
  SwaggerModule.setup('docs', app, () => declareCommonErrors(SwaggerModule.createDocument(app, config)), { jsonDocumentUrl: 'docs-json', yamlDocumentUrl: 'docs-yaml' });
}
