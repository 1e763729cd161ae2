import { ArgumentMetadata, BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';
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

/** A lone UTF-16 surrogate (`"\ud800"` in JSON) is no character: validators and databases choke on it. */
const wellFormed = (text: string) => (text as string & { isWellFormed(): boolean }).isWellFormed();

/**
 * Fields whose text holds a NUL character, which no PostgreSQL text or jsonb value can store,
 * or an unpaired surrogate, which is not Unicode text at all.
 */
export function nulProblems(value: unknown, path = ''): FieldProblem[] {
  if (typeof value === 'string') {
    const field = path || 'body';
    if (value.includes('\u0000')) return [{ field, messages: [`${field} must not contain NUL (\\u0000) characters`] }];
    if (!wellFormed(value)) return [{ field, messages: [`${field} must be valid Unicode text (it holds an unpaired surrogate)`] }];
    return [];
  }
  if (Array.isArray(value)) return value.flatMap((item, i) => nulProblems(item, `${path}[${i}]`));
  if (typeof value === 'object' && value !== null) return Object.entries(value).flatMap(([key, item]) => nulProblems(item, path ? `${path}.${key}` : key));
  return [];
}

/** How deep a body may nest objects and arrays: far more than any of our DTOs, far less than the stack. */
export const MAX_INPUT_DEPTH = 32;

/**
 * Whether `value` nests objects and arrays deeper than `maxDepth`, found without recursion (a JSON
 * body nested thousands of levels deep would overflow the stack of any recursive walk: ours,
 * class-transformer's or class-validator's).
 */
export function nestedDeeperThan(value: unknown, maxDepth = MAX_INPUT_DEPTH): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (typeof item !== 'object' || item === null) continue;
    if (depth >= maxDepth) return true;
    for (const child of Array.isArray(item) ? item : Object.values(item)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}

/**
 * Whether any text in `value` holds a NUL or an unpaired surrogate: one walk without building field
 * paths, so that a clean body (nearly every body) costs no allocation beyond the walk's stack;
 * nulProblems names the fields only when there is something to name.
 */
function hasTextProblem(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (typeof item === 'string') {
      if (item.includes('\u0000') || !wellFormed(item)) return true;
    } else if (Array.isArray(item)) {
      for (const child of item) stack.push(child);
    } else if (typeof item === 'object' && item !== null) {
      for (const key in item) if (Object.prototype.hasOwnProperty.call(item, key)) stack.push((item as Record<string, unknown>)[key]);
    }
  }
  return false;
}

function refuseNul(value: unknown): void {
  if (nestedDeeperThan(value)) {
    throw new BadRequestException({ statusCode: 400, error: 'Bad Request', message: `Invalid input: objects and arrays nested deeper than ${MAX_INPUT_DEPTH} levels` });
  }
  if (!hasTextProblem(value)) return;
  const problems = nulProblems(value);
  if (problems.length === 0) return;
  throw new BadRequestException({ statusCode: 400, error: 'Bad Request', message: `Invalid input: ${problems.map((p) => p.messages.join('; ')).join('; ')}`, errors: problems });
}

/**
 * Validates HTTP input and refuses unknown fields, text with NUL characters, and nesting deeper than
 * MAX_INPUT_DEPTH. Message payloads (numeric RPC param
 * types) pass through: the transport has already checked them against their contract,
 * tolerating fields a newer producer added.
 */
class HttpValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (typeof metadata.type === 'number') return value;
    refuseNul(value);
    return super.transform(value, metadata);
  }
}

export function createValidationPipe(): ValidationPipe {
  return new HttpValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
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
  refuseNul(plain);
  const instance = plainToInstance(schema, plain);
  const errors = await validate(instance, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true });
  if (errors.length > 0) throw validationException(errors);
  return instance;
}
