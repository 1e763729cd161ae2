import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { ACCESS_TOKEN_ALGORITHM, Role } from '@statex/contracts';

export interface MintOptions {
  sub?: string;
  email?: string;
  emailVerified?: boolean;
  roles?: Role[];
  iss?: string;
  aud?: string;
  /** Seconds from now; negative for a token that has already expired. */
  expiresIn?: number;
  notBefore?: number;
  /** The `kid` in the header; a key added with `addKey()` also signs under its own kid. */
  kid?: string;
  /** Sign with a key the JWKS does not publish. */
  foreignKey?: boolean;
}

const b64 = (value: object | string) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/**
 * user-portal's JWKS for tests of another service: publishes one Ed25519 key over real HTTP
 * and mints access tokens with it, good or deliberately broken.
 */
export class AuthStandIn {
  readonly issuer = 'http://localhost:8006';
  readonly audience = 'statex';
  private server?: Server;
  private key!: { privateKey: CryptoKey; publicKey: CryptoKey; kid: string; jwk: JWK };
  /** Keys published besides the first (`addKey()`, as user-portal rotates one in). */
  private readonly added: { privateKey: CryptoKey; kid: string; jwk: JWK }[] = [];
  private foreign!: { privateKey: CryptoKey; kid: string };
  /** How many times the JWKS was fetched. */
  jwksRequests = 0;

  async start(): Promise<this> {
    const pair = await generateKeyPair(ACCESS_TOKEN_ALGORITHM, { crv: 'Ed25519', extractable: true });
    const kid = randomUUID();
    this.key = { ...pair, kid, jwk: { ...(await exportJWK(pair.publicKey)), kid, alg: ACCESS_TOKEN_ALGORITHM, use: 'sig' } };
    const other = await generateKeyPair(ACCESS_TOKEN_ALGORITHM, { crv: 'Ed25519', extractable: true });
    this.foreign = { privateKey: other.privateKey, kid: randomUUID() };
    this.server = createServer((req, res) => {
      if (req.url === '/.well-known/jwks.json') {
        this.jwksRequests += 1;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [this.key.jwk, ...this.added.map((k) => k.jwk)] }));
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((done) => this.server!.listen(0, '127.0.0.1', done));
    return this;
  }

  get jwksUrl(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/.well-known/jwks.json`;
  }

  /** The variables that point a service at this stand-in. */
  get env(): Record<string, string> {
    return { AUTH_JWKS_URL: this.jwksUrl, AUTH_ISSUER: this.issuer, AUTH_AUDIENCE: this.audience };
  }

  /** Publishes another key (a rotation); returns its kid, to mint with `{ kid }`. */
  async addKey(): Promise<string> {
    const pair = await generateKeyPair(ACCESS_TOKEN_ALGORITHM, { crv: 'Ed25519', extractable: true });
    const kid = randomUUID();
    this.added.push({ privateKey: pair.privateKey, kid, jwk: { ...(await exportJWK(pair.publicKey)), kid, alg: ACCESS_TOKEN_ALGORITHM, use: 'sig' } });
    return kid;
  }

  async mint(options: MintOptions = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const key = options.foreignKey ? this.foreign : (this.added.find((k) => k.kid === options.kid) ?? this.key);
    const jwt = new SignJWT({ email: options.email ?? 'someone@statex.test', email_verified: options.emailVerified ?? true, roles: options.roles ?? ['operator'] })
      .setProtectedHeader({ alg: ACCESS_TOKEN_ALGORITHM, kid: options.kid ?? key.kid, typ: 'JWT' })
      .setSubject(options.sub ?? randomUUID())
      .setIssuer(options.iss ?? this.issuer)
      .setAudience(options.aud ?? this.audience)
      .setIssuedAt(now)
      .setExpirationTime(now + (options.expiresIn ?? 900));
    if (options.notBefore !== undefined) jwt.setNotBefore(now + options.notBefore);
    return jwt.sign(key.privateKey);
  }

  /** A token that says `alg: none` and has no signature. */
  unsigned(): string {
    const now = Math.floor(Date.now() / 1000);
    return `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: randomUUID(), roles: ['admin'], iss: this.issuer, aud: this.audience, iat: now, exp: now + 900 })}.`;
  }

  /** HS256 signed with the public key's bytes as the secret: the classic key-confusion forgery. */
  async hmacWithPublicKey(): Promise<string> {
    const { createHmac } = await import('node:crypto');
    const now = Math.floor(Date.now() / 1000);
    const head = `${b64({ alg: 'HS256', typ: 'JWT', kid: this.key.kid })}.${b64({ sub: randomUUID(), roles: ['admin'], iss: this.issuer, aud: this.audience, iat: now, exp: now + 900 })}`;
    const secret = JSON.stringify(this.key.jwk);
    return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
  }

  /** A valid token whose payload was then edited (roles raised to admin): the signature no longer fits. */
  async tampered(): Promise<string> {
    const [header, payload, signature] = (await this.mint({ roles: ['client'] })).split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    return `${header}.${b64({ ...claims, roles: ['admin'] })}.${signature}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((done) => (this.server ? this.server.close(() => done()) : done()));
  }
}

/** `Authorization` header for supertest's `.set()`. */
export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
