import { BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';

export interface FieldProblem {
  field: string;
  messages: string[];
}

export function fieldProblems(errors: ValidationError[], parent = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {});
    const nested = fieldProblems(error.children ?? [], field);
    return own.length > 0 ? [{ field, messages: own }, ...nested] : nested;
  });
}

/** 400 naming each bad field; unknown fields are refused. */
export function validationException(errors: ValidationError[]): BadRequestException {
  const problems = fieldProblems(errors);
  return new BadRequestException({
    statusCode: 400,
    error: 'Bad Request',
    message: `Invalid input: ${problems.map((p) => p.messages.join('; ')).join('; ')}`,
    errors: problems,
  });
}

/**
 * HTTP input refuses unknown fields; event payloads tolerate them (a producer may add
 * fields before its consumers know them), and are checked against their contract by the transport.
 */
export function createValidationPipe(options: { forbidUnknownFields: boolean } = { forbidUnknownFields: true }): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: options.forbidUnknownFields,
    transform: true,
    forbidUnknownValues: true,
    stopAtFirstError: false,
    exceptionFactory: validationException,
  });
}

/** The global pipe's rules applied by hand, for bodies a handler reads itself (multipart forms). */
export async function validateInput<T extends object>(schema: new () => T, plain: unknown): Promise<T> {
  if (typeof plain !== 'object' || plain === null || Array.isArray(plain)) {
    throw new BadRequestException({ statusCode: 400, error: 'Bad Request', message: 'The request body must be a JSON object or a multipart form' });
  }
  const instance = plainToInstance(schema, plain);
  const errors = await validate(instance, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true });
  if (errors.length > 0) throw validationException(errors);
  return instance;
}
