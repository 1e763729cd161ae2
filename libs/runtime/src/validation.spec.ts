import { BadRequestException } from '@nestjs/common';
import { IsEmail, IsString, ValidateNested } from 'class-validator';
import { Type } from 'class-transformer';
import { createValidationPipe, nulProblems, validateInput } from './validation';

class Address {
  @IsString() city!: string;
}

class Person {
  @IsEmail() email!: string;
  @ValidateNested() @Type(() => Address) address!: Address;
}

const failure = async (work: Promise<unknown>) => {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BadRequestException);
  return (error as BadRequestException).getResponse() as { message: string; errors: { field: string; messages: string[] }[] };
};

describe('HTTP input validation', () => {
  const pipe = createValidationPipe();
  const body = { type: 'body' as const, metatype: Person };

  it('answers 400 naming each bad field, nested ones by their path, and refuses unknown fields', async () => {
    const res = await failure(pipe.transform({ email: 'nope', address: { city: 7 }, admin: true }, body));
    expect(res.errors.map((e) => e.field).sort()).toEqual(['address.city', 'admin', 'email']);
    expect(res.message).toContain('property admin should not exist');
  });

  it('refuses text with NUL characters, naming where it is', async () => {
    expect(nulProblems({ a: 'ok', b: ['x', 'y\u0000'], c: { d: 'z\u0000' } }).map((p) => p.field)).toEqual(['b[1]', 'c.d']);
    const res = await failure(pipe.transform({ email: 'a@example.com\u0000', address: { city: 'Brno' } }, body));
    expect(res.errors).toEqual([{ field: 'email', messages: ['email must not contain NUL (\\u0000) characters'] }]);
    await failure(validateInput(Person, { email: 'a@example.com', address: { city: 'Br\u0000no' } }));
  });

  it('passes valid input through as an instance of its class, and message payloads untouched', async () => {
    const person = await pipe.transform({ email: 'a@example.com', address: { city: 'Brno' } }, body);
    expect(person).toBeInstanceOf(Person);
    const payload = { anything: 'goes\u0000' };
    expect(await pipe.transform(payload, { type: 3 as never, metatype: Person })).toBe(payload);
  });

  it('refuses a body nested thousands of levels deep with a 400, not a stack overflow', async () => {
    let deep: unknown = { city: 'Brno' };
    for (let i = 0; i < 20_000; i++) deep = { address: deep };
    const res = await failure(pipe.transform(deep, body));
    expect(res.message).toContain('nested deeper than 32 levels');
    await failure(validateInput(Person, JSON.parse('{"a":' + '['.repeat(5000) + ']'.repeat(5000) + '}')));
    // Ordinary nesting is still validated field by field.
    await failure(pipe.transform({ email: 'a@example.com', address: { city: 7 } }, body));
  });

  it('refuses a body that is not an object', async () => {
    const res = await failure(validateInput(Person, 'text'));
    expect(res.message).toContain('JSON object or a multipart form');
  });
});
