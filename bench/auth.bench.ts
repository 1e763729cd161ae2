/**
 * The cost of authentication, each figure beside its reference in the same run:
 *  1. the deny-by-default guard: one route behind `@Roles('operator')` (EdDSA verification of a
 *     bearer token) against the same route `@Public()`, autocannon rounds alternating;
 *  2. `POST /api/auth/login` on user-portal (a built process, real PostgreSQL and Redis) against
 *     raw argon2id verification at the same parameters and the same concurrency.
 * Needs a build (`npm run build`): node dist/bench/auth.bench.js [secondsPerRound]
 */
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import argon2 from 'argon2';
import autocannon from 'autocannon';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { Client } from 'pg';
import { AuthModule, KEY_RESOLVER, Public, Roles } from '@statex/auth';
import { BaseEnv, EnvModule, loadEnv } from '@statex/config';
import { ACCESS_TOKEN_ALGORITHM } from '@statex/contracts';
import { ARGON2_OPTIONS } from '../apps/user-portal/src/passwords/password-hasher';
import { removeBrokerNamespace } from './support/bench-platform';

const SECONDS = Number(process.argv[2] ?? 5);
const GUARD_PORT = 18190;
const PORTAL_PORT = 18191;

@Controller('bench')
class BenchController {
  @Get('public')
  @Public()
  open(): { ok: boolean } {
    return { ok: true };
  }

  @Get('guarded')
  @Roles('operator')
  guarded(): { ok: boolean } {
    return { ok: true };
  }
}

async function load(url: string, options: Partial<autocannon.Options> = {}): Promise<{ rps: number; p99: number }> {
  const result = await autocannon({ url, connections: 20, duration: SECONDS, ...options });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  return { rps: result.requests.average, p99: result.latency.p99 };
}

async function guardCost(): Promise<string[]> {
  const { publicKey, privateKey } = await generateKeyPair(ACCESS_TOKEN_ALGORITHM, { crv: 'Ed25519' });
  const kid = 'bench';
  const jwks = createLocalJWKSet({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: ACCESS_TOKEN_ALGORITHM }] });
  const env = loadEnv(BaseEnv, { LOG_LEVEL: 'silent' });
  @Module({ imports: [EnvModule.forRoot(env), AuthModule.forRoot({ keys: { provide: KEY_RESOLVER, useValue: jwks } })], controllers: [BenchController] })
  class BenchModule {}
  const app = await NestFactory.create<NestFastifyApplication>(BenchModule, new FastifyAdapter(), { logger: false });
  await app.listen(GUARD_PORT, '127.0.0.1');
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ roles: ['operator'], email: 'op@statex.test', email_verified: true })
    .setProtectedHeader({ alg: ACCESS_TOKEN_ALGORITHM, kid })
    .setSubject('bench')
    .setIssuer(env.AUTH_ISSUER)
    .setAudience(env.AUTH_AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(privateKey);
  const base = `http://127.0.0.1:${GUARD_PORT}/bench`;
  try {
    await load(`${base}/public`, { duration: 1 }); // warm-up
    const open: number[] = [];
    const guarded: number[] = [];
    const p99: number[] = [];
    for (let round = 0; round < 3; round += 1) {
      open.push((await load(`${base}/public`)).rps);
      const g = await load(`${base}/guarded`, { headers: { authorization: `Bearer ${token}` } });
      guarded.push(g.rps);
      p99.push(g.p99);
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const ratio = mean(guarded) / mean(open);
    return [
      `guard   public route          ${mean(open).toFixed(0).padStart(7)} req/s   (rounds: ${open.map((x) => x.toFixed(0)).join(', ')})`,
      `guard   same route, guarded   ${mean(guarded).toFixed(0).padStart(7)} req/s   (rounds: ${guarded.map((x) => x.toFixed(0)).join(', ')}; p99 ${Math.max(...p99)} ms)`,
      `guard   ratio guarded/public  ${ratio.toFixed(3)}   → ${((1 - ratio) * 100).toFixed(1)}% slower (target: at most 10%)`,
    ];
  } finally {
    await app.close();
  }
}

async function loginThroughput(): Promise<string[]> {
  const prefix = `bench${randomBytes(3).toString('hex')}`;
  const password = 'bench-admin-password-42';
  const concurrency = 2;
  const child = spawn(process.execPath, [resolve(__dirname, '..', 'apps', 'user-portal', 'src', 'main.js')], {
    env: {
      ...process.env,
      ENV_FILE: '/nonexistent',
      LOG_LEVEL: 'warn',
      USER_PORTAL_PORT: String(PORTAL_PORT),
      POSTGRES_DB_PREFIX: `${prefix}_`,
      RABBITMQ_NAMESPACE: prefix,
      BULLMQ_PREFIX: prefix,
      ADMIN_EMAIL: 'admin@bench.test',
      ADMIN_PASSWORD: password,
      AUTH_RATE_LIMIT_IP_PER_WINDOW: '1000000',
      AUTH_RATE_LIMIT_ACCOUNT_PER_WINDOW: '1000000',
      PASSWORD_HASH_CONCURRENCY: String(concurrency),
    },
    stdio: 'ignore',
  });
  try {
    const deadline = Date.now() + 60_000;
    while (!(await fetch(`http://127.0.0.1:${PORTAL_PORT}/health/ready`).then((r) => r.ok).catch(() => false))) {
      if (Date.now() > deadline) throw new Error('user-portal was not ready within 60 s');
      await new Promise((r) => setTimeout(r, 250));
    }
    const body = JSON.stringify({ email: 'admin@bench.test', password });
    const login = await load(`http://127.0.0.1:${PORTAL_PORT}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, connections: 8, duration: SECONDS * 2 });

    const hash = await argon2.hash(password, ARGON2_OPTIONS);
    let verified = 0;
    const until = Date.now() + SECONDS * 2 * 1000;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (Date.now() < until) {
          await argon2.verify(hash, password);
          verified += 1;
        }
      }),
    );
    const raw = verified / (SECONDS * 2);
    return [
      `login   POST /api/auth/login      ${login.rps.toFixed(1).padStart(7)} /s   (p99 ${login.p99} ms, 8 connections, ${concurrency} hashes at once)`,
      `login   raw argon2id verify       ${raw.toFixed(1).padStart(7)} /s   (m=19456 KiB, t=2, p=1, ${concurrency} at once)`,
      `login   ratio login/raw           ${(login.rps / raw).toFixed(3)}`,
    ];
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    const pg = new Client({ host: process.env.POSTGRES_HOST ?? '127.0.0.1', user: process.env.POSTGRES_USER ?? 'postgres', database: 'postgres' });
    await pg.connect();
    await pg.query(`DROP DATABASE IF EXISTS "${prefix}_user_portal" WITH (FORCE)`);
    await pg.end();
    await removeBrokerNamespace(prefix);
  }
}

async function main(): Promise<void> {
  const lines = [...(await guardCost()), ...(await loginThroughput())];
  console.log(`\nAuthentication cost (${SECONDS} s rounds, same run)\n`);
  for (const line of lines) console.log(`  ${line}`);
}

main().catch((error: Error) => {
  console.error(error.stack ?? error.message);
  process.exit(1);
});
