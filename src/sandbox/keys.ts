/**
 * The authorization server's signing keys and its JWKS. Cerner publishes EC P-256, EC P-384 and
 * RSA keys with timestamp kids and without `alg`/`use` (docs/cerner.md §6): access tokens
 * are ES256 (`….ec.es256`), id_tokens RS256 (`….rsa`).
 */
import { type CryptoKey, exportJWK, generateKeyPair, type JWK } from 'jose';

export interface SigningKey {
  kid: string;
  alg: 'ES256' | 'ES384' | 'RS256';
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

/** "2020-07-28T17:36:09.004": Cerner's kid timestamp, an ISO instant without the zone. */
function kidTimestamp(at: Date): string {
  return at.toISOString().replace(/Z$/, '');
}

async function generate(alg: SigningKey['alg'], kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: false });
  const exported = await exportJWK(publicKey);
  // Cerner's JWKS entries carry kty, crv/x/y or n/e, and kid only.
  const publicJwk: JWK =
    exported.kty === 'RSA'
      ? { kty: 'RSA', e: exported.e, kid, n: exported.n }
      : { kty: 'EC', crv: exported.crv, kid, x: exported.x, y: exported.y };
  return { kid, alg, privateKey, publicKey, publicJwk };
}

export class SandboxKeys {
  private unpublished: Promise<SigningKey> | undefined;

  private constructor(
    readonly accessToken: SigningKey,
    private readonly es384: SigningKey,
    readonly idToken: SigningKey,
    private readonly createdAt: Date,
  ) {}

  static async generate(at: Date): Promise<SandboxKeys> {
    const stamp = kidTimestamp(at);
    const [es256, es384, rsa] = await Promise.all([
      generate('ES256', `${stamp}.ec.es256`),
      generate('ES384', `${stamp}.ec.es384`),
      generate('RS256', `${stamp}.rsa`),
    ]);
    return new SandboxKeys(es256, es384, rsa, at);
  }

  /** The key that signs CDS Hooks JWTs (the published P-384 key, ES384 as CDS Hooks recommends). */
  get cdsHooks(): SigningKey {
    return this.es384;
  }

  /** `GET /jwk` body. The P-384 key is published, as Cerner does; it signs CDS Hooks JWTs. */
  jwks(): { keys: JWK[] } {
    return { keys: [this.accessToken.publicJwk, this.es384.publicJwk, this.idToken.publicJwk] };
  }

  /**
   * An RSA key that is never published: the `id_token: unknown_kid` fault signs with it, so a
   * client that checks id_token signatures against /jwk must fail.
   */
  unpublishedIdTokenKey(): Promise<SigningKey> {
    this.unpublished ??= generate('RS256', `${kidTimestamp(new Date(this.createdAt.getTime() + 1))}.rsa`);
    return this.unpublished;
  }
}
