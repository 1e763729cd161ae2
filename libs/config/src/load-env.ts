import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { parse } from 'dotenv';

export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigValidationError';
  }
}

export type EnvSource = Record<string, string | undefined>;

/**
 * Reads the `.env` file (ENV_FILE, default `.env` in the working directory) and
 * overlays the real environment on it: a real variable always wins.
 */
export function readEnvSource(env: EnvSource = process.env): EnvSource {
  const file = resolve(env.ENV_FILE ?? '.env');
  const fromFile = existsSync(file) ? parse(readFileSync(file)) : {};
  return { ...fromFile, ...env };
}

function describe(errors: ValidationError[]): string[] {
  return errors.flatMap((error) => {
    const constraints = Object.values(error.constraints ?? {});
    const value = error.value === undefined ? 'missing' : JSON.stringify(error.value);
    return constraints.length > 0
      ? [`${error.property} (${value}): ${constraints.join('; ')}`]
      : describe(error.children ?? []);
  });
}

/**
 * Validates the environment against a class whose properties are decorated with
 * class-validator rules and carry their defaults as initialisers. Throws a
 * ConfigValidationError naming every missing or invalid variable.
 */
export function loadEnv<T extends object>(schema: new () => T, source: EnvSource = readEnvSource()): T {
  const known = new Set(Object.keys(new schema()));
  const plain: Record<string, string> = {};
  for (const [key, value] of Object.entries(source)) {
    // Empty strings mean "not set", so an `.env` line like `SMTP_USER=` keeps the default.
    if (known.has(key) && value !== undefined && value !== '') plain[key] = value;
  }
  const instance = plainToInstance(schema, plain, { exposeDefaultValues: true });
  const errors = validateSync(instance, { whitelist: false, forbidUnknownValues: true });
  if (errors.length > 0) throw new ConfigValidationError(describe(errors));
  return instance;
}
