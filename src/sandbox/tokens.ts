/**
 * Minting and checking the sandbox's JWTs: the ES256 access token with Cerner's claim layout
 * (docs/cerner.md §5 (access token), §6 (id_token), S6; no `aud`) and the RS256 id_token (docs/cerner.md §6).
 */
import { randomUUID } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import type { SandboxClock } from './clock.ts';
import type { SandboxAppRegistration } from './config.ts';
import { findUser } from './data.ts';
import type { SandboxKeys, SigningKey } from './keys.ts';
import type { GrantContext, SandboxState } from './state.ts';
import type { SandboxUrls } from './urls.ts';

/** id_token lifetime: exp = iat + 600 (docs/cerner.md §6). */
const ID_TOKEN_LIFETIME_SECONDS = 600;

export interface TokenMinterDeps {
  clock: SandboxClock;
  keys: SandboxKeys;
  urls: SandboxUrls;
  state: SandboxState;
  /** Read on every minting: tests change it at run time. */
  lifetimeSeconds: () => number;
}

export interface AccessTokenClaims {
  sub: string;
  azp: string;
  jti: string;
  exp: number;
  'urn:com:cerner:authorization:claims': { ver: string; tnt: string; azs: string };
}

export class TokenMinter {
  constructor(private readonly deps: TokenMinterDeps) {}

  async accessToken(grant: GrantContext, app: SandboxAppRegistration): Promise<string> {
    const { clock, keys, urls, state } = this.deps;
    const iat = clock.nowSeconds();
    const exp = iat + this.deps.lifetimeSeconds();
    const jti = randomUUID();
    const azs = grant.scopes.join(' ');
    const profile = (app.smartVersion ?? 'v1') === 'v2' ? 'smart-v2' : 'smart-v1';
    const persona = app.persona ?? 'provider';
    const token = await new SignJWT({
      'urn:com:cerner:authorization:claims': { ver: '1.0', tnt: urls.tenant, azs },
      azp: app.clientId,
      'urn:cerner:authorization:claims:version:1': {
        ver: '1.0',
        profiles: { [profile]: { azs } },
        client: { name: app.name, id: app.clientId },
        user: {
          principal: grant.username,
          persona,
          idsp: urls.tenant,
          sessionId: grant.sessionId,
          principalType: 'username',
          principalUri: `${urls.origin}/instance/${urls.tenant}/principal/${grant.username}`,
          idspUri: `${urls.origin}/accounts/${urls.tenant}/login`,
        },
        tenant: urls.tenant,
      },
    })
      .setProtectedHeader({ kid: keys.accessToken.kid, typ: 'JWT', alg: 'ES256' })
      .setSubject(grant.username)
      .setIssuer(urls.accessTokenIssuer)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setJti(jti)
      .sign(keys.accessToken.privateKey);
    const remembered = { jti, clientId: app.clientId, scopes: grant.scopes, expiresAt: exp * 1000 };
    state.rememberAccessToken({
      ...remembered,
      needPatientBanner: grant.needPatientBanner,
      ...(grant.patientId !== undefined ? { patientId: grant.patientId } : {}),
      ...(grant.encounterId !== undefined ? { encounterId: grant.encounterId } : {}),
    });
    return token;
  }

  /** The id_token; `signWith` lets the unknown_kid fault use an unpublished key. */
  async idToken(grant: GrantContext, app: SandboxAppRegistration, signWith?: SigningKey): Promise<string> {
    const { clock, keys, urls } = this.deps;
    const key = signWith ?? keys.idToken;
    const user = findUser(grant.username);
    const iat = clock.nowSeconds();
    const claims: Record<string, string> = { name: user?.name ?? grant.username };
    const fhirUser = user ? urls.practitioner(user.practitionerId) : undefined;
    if (fhirUser && (grant.scopes.includes('fhirUser') || grant.scopes.includes('profile'))) {
      claims.fhirUser = fhirUser;
    }
    if (fhirUser && grant.scopes.includes('profile')) claims.profile = fhirUser;
    if (grant.nonce !== undefined) claims.nonce = grant.nonce;
    return new SignJWT(claims)
      .setProtectedHeader({ kid: key.kid, typ: 'JWT', alg: 'RS256' })
      .setSubject(grant.username)
      .setAudience(app.clientId)
      .setIssuer(urls.oidcIssuer)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ID_TOKEN_LIFETIME_SECONDS)
      .sign(key.privateKey);
  }

  /**
   * Verifies a bearer token the way Cerner's FHIR server does: signature and tenant, not `aud`
   * (S6). Returns undefined for anything unusable.
   */
  async verifyAccessToken(token: string): Promise<AccessTokenClaims | undefined> {
    const { clock, keys, urls } = this.deps;
    try {
      const { payload } = await jwtVerify(token, keys.accessToken.publicKey, {
        algorithms: ['ES256'],
        issuer: urls.accessTokenIssuer,
        currentDate: clock.now(),
        requiredClaims: ['exp', 'jti', 'sub'],
      });
      const cerner = payload[
        'urn:com:cerner:authorization:claims'
      ] as AccessTokenClaims['urn:com:cerner:authorization:claims'];
      if (!cerner || cerner.tnt !== urls.tenant || typeof cerner.azs !== 'string') return undefined;
      return payload as unknown as AccessTokenClaims;
    } catch {
      return undefined;
    }
  }
}
