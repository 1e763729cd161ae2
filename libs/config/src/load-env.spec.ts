import { IsInt, Max, Min } from 'class-validator';
import { BaseEnv, ConfigValidationError, DatabaseEnv, loadEnv, NumberFromEnv, parseDelays } from '@statex/config';

class AppEnv extends DatabaseEnv {
  @NumberFromEnv()
  @IsInt()
  @Min(1)
  @Max(65535)
  APP_PORT: number = 8000;
}

describe('loadEnv', () => {
  it('applies defaults that work against local services', () => {
    const env = loadEnv(AppEnv, {});
    expect(env.APP_PORT).toBe(8000);
    expect(env.RABBITMQ_URL).toBe('amqp://guest:guest@127.0.0.1:5672');
    expect(env.POSTGRES_HOST).toBe('127.0.0.1');
    expect(env.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(env).toBeInstanceOf(BaseEnv);
  });

  it('converts numbers and lets real values override defaults', () => {
    const env = loadEnv(AppEnv, { APP_PORT: '9100', POSTGRES_PORT: '6543', UNRELATED: 'x' });
    expect(env.APP_PORT).toBe(9100);
    expect(env.POSTGRES_PORT).toBe(6543);
  });

  it('treats an empty value as unset', () => {
    expect(loadEnv(AppEnv, { APP_PORT: '' }).APP_PORT).toBe(8000);
  });

  it('names every invalid variable', () => {
    let caught: unknown;
    try {
      loadEnv(AppEnv, { APP_PORT: '70000', RABBITMQ_URL: 'http://nope', RABBITMQ_RETRY_DELAYS_MS: '1s,2s' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigValidationError);
    const message = (caught as Error).message;
    expect(message).toContain('APP_PORT');
    expect(message).toContain('RABBITMQ_URL');
    expect(message).toContain('RABBITMQ_RETRY_DELAYS_MS');
    expect((caught as ConfigValidationError).problems).toHaveLength(3);
  });

  it('parses retry delays', () => {
    expect(parseDelays('100,2000,30000')).toEqual([100, 2000, 30000]);
  });
});
