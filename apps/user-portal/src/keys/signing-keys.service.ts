import { randomUUID } from 'node:crypto';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { errors, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK, type JWSHeaderParameters } from 'jose';
import { DataSource, EntityManager } from 'typeorm';
import { CLOCK_TOLERANCE_S, KeyResolver } from '@statex/auth';
import { ACCESS_TOKEN_ALGORITHM } from '@statex/contracts';
import { SigningKey } from '../accounts/entities';
import { UserPortalEnv } from '../user-portal.env';
import { KeyEncryption } from './key-encryption';

/** Serialises key creation across user-portal replicas sharing one database. */
const KEYS_LOCK = 0x5347_4b59;
const DAY_MS = 24 * 3600_000;

export interface PublishedKey extends JWK {
  kid: string;
}

/**
 * The keys that sign access tokens, kept in user-portal's database so that every replica signs
 * with the same key and a token outlives a restart. The newest key whose `active_from` has come
 * signs; a rotated-in key is published ahead of use; a superseded key stays published until the
 * last token it signed has expired.
 */
@Injectable()
export class SigningKeys implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SigningKeys.name);
  private readonly encryption: KeyEncryption;
  private signer?: { kid: string; key: CryptoKey };
  private published: PublishedKey[] = [];
  private verifiers = new Map<string, CryptoKey>();
  /** When the cached state must be read again (a pending key activates, an old one expires). */
  private staleAt = 0;
  private lastUnknownKidReload = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly dataSource: DataSource,
    private readonly env: UserPortalEnv,
  ) {
    this.encryption = new KeyEncryption(env.AUTH_KEYS_SECRET);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.maintain();
    this.timer = setInterval(() => void this.maintain().catch((error: Error) => this.logger.error(`Key maintenance failed: ${error.message}`)), 60_000);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Creates the first key, or the next one once the signing key is older than the rotation period. */
  async maintain(): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [KEYS_LOCK]);
      const keys = await manager.find(SigningKey, { order: { activeFrom: 'DESC' } });
      const now = Date.now();
      if (keys.length === 0) {
        await this.create(manager, new Date(now));
      } else if (keys[0].activeFrom.getTime() <= now && keys[0].activeFrom.getTime() + this.env.AUTH_KEY_ROTATION_DAYS * DAY_MS <= now) {
        await this.create(manager, new Date(now + this.env.AUTH_KEY_PUBLISH_AHEAD_S * 1000));
      }
      await this.retireSuperseded(manager);
    });
    await this.reload();
  }

  /** An admin's rotation (a suspected leak): the new key signs at once; the old one verifies its last tokens. */
  async rotateNow(): Promise<string> {
    const kid = await this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [KEYS_LOCK]);
      const created = await this.create(manager, new Date());
      await this.retireSuperseded(manager);
      return created;
    });
    await this.reload();
    return kid;
  }

  /** The key to sign with now. */
  async current(): Promise<{ kid: string; key: CryptoKey }> {
    if (!this.signer || Date.now() >= this.staleAt) await this.reload();
    if (!this.signer) throw new Error('No signing key is active');
    return this.signer;
  }

  /** The public keys for `/.well-known/jwks.json`: the signing key, the next one, and the ones whose tokens may still be alive. */
  async jwks(): Promise<{ keys: PublishedKey[] }> {
    if (Date.now() >= this.staleAt) await this.reload();
    return { keys: this.published };
  }

  /** user-portal verifies its own tokens from its store, reading it again (at most once a second) for a kid it does not know. */
  readonly resolver: KeyResolver = async (header: JWSHeaderParameters) => {
    if (Date.now() >= this.staleAt) await this.reload();
    let key = header.kid ? this.verifiers.get(header.kid) : undefined;
    if (!key && header.kid && Date.now() - this.lastUnknownKidReload > 1000) {
      this.lastUnknownKidReload = Date.now();
      await this.reload();
      key = this.verifiers.get(header.kid);
    }
    if (!key) throw new errors.JWKSNoMatchingKey();
    return key;
  };

  private async create(manager: EntityManager, activeFrom: Date): Promise<string> {
    const pair = await generateKeyPair(ACCESS_TOKEN_ALGORITHM, { crv: 'Ed25519', extractable: true });
    const kid = randomUUID();
    const publicJwk = { ...(await exportJWK(pair.publicKey)), kid, alg: ACCESS_TOKEN_ALGORITHM, use: 'sig' };
    const privateJwk = await exportJWK(pair.privateKey);
    await manager.insert(SigningKey, {
      kid,
      alg: ACCESS_TOKEN_ALGORITHM,
      publicJwk,
      privateKeyEncrypted: this.encryption.encrypt(JSON.stringify(privateJwk)),
      activeFrom,
      expiresAt: null,
    });
    this.logger.log({ kid, activeFrom: activeFrom.toISOString() }, 'New token-signing key');
    return kid;
  }

  /** A key superseded by an active successor leaves the JWKS once every token it signed has expired. */
  private async retireSuperseded(manager: EntityManager): Promise<void> {
    const leeway = (this.env.AUTH_ACCESS_TOKEN_TTL_S + CLOCK_TOLERANCE_S + 60) * 1000;
    await manager.query(
      `UPDATE signing_keys old SET expires_at = successor.active_from + make_interval(secs => $1::double precision / 1000)
       FROM (SELECT active_from FROM signing_keys WHERE active_from <= now() ORDER BY active_from DESC LIMIT 1) successor
       WHERE old.expires_at IS NULL AND old.active_from < successor.active_from`,
      [leeway],
    );
  }

  private async reload(): Promise<void> {
    const now = Date.now();
    const keys = await this.dataSource.manager.find(SigningKey, { order: { activeFrom: 'DESC' } });
    const live = keys.filter((k) => !k.expiresAt || k.expiresAt.getTime() > now);
    const verifiers = new Map<string, CryptoKey>();
    for (const k of live) verifiers.set(k.kid, (await importJWK(k.publicJwk as JWK, ACCESS_TOKEN_ALGORITHM)) as CryptoKey);
    const active = live.find((k) => k.activeFrom.getTime() <= now);
    if (active && active.kid !== this.signer?.kid) {
      const privateJwk = JSON.parse(this.encryption.decrypt(active.privateKeyEncrypted)) as JWK;
      this.signer = { kid: active.kid, key: (await importJWK(privateJwk, ACCESS_TOKEN_ALGORITHM)) as CryptoKey };
    }
    this.verifiers = verifiers;
    this.published = live.map((k) => k.publicJwk as unknown as PublishedKey);
    const upcoming = [...live.map((k) => k.activeFrom.getTime()), ...live.map((k) => k.expiresAt?.getTime() ?? Infinity)].filter((t) => t > now);
    // Read again at the next change, and at least every minute (another replica may have rotated).
    this.staleAt = Math.min(now + 60_000, ...upcoming);
  }
}
