/**
 * In-memory state of the sandbox EHR: sign-in sessions, launch contexts, authorization codes,
 * refresh grants, issued access tokens and seen client-assertion `jti`s. Lifetimes follow the
 * Simulator spec: launch 300 s (S2), code 60 s (S4.13), offline refresh unused 90 days (S5).
 */
import { randomUUID } from 'node:crypto';
import type { SandboxClock } from './clock.ts';

export const LAUNCH_LIFETIME_MS = 300_000;
export const CODE_LIFETIME_MS = 60_000;
export const OFFLINE_IDLE_LIMIT_MS = 90 * 24 * 3_600_000;

/** The EHR sign-in ("SSO") session behind the sandbox session cookie. */
export interface Session {
  id: string;
  username: string;
  createdAt: number;
  ended: boolean;
  /** Test controls: the patient this user picks at a standalone launch's patient picker. */
  patientPick?: string;
}

/** One SMART 2 `fhirContext` entry (SMART App Launch 2.2, "fhirContext"). */
export interface FhirContextItem {
  reference?: string;
  canonical?: string;
  identifier?: { system?: string; value?: string };
  type?: string;
  role?: string;
}

/**
 * What a launch of the Epic or SMART profile adds to patient and encounter
 * (docs/sandbox-profiles.md); the Cerner profile never sets it.
 */
export interface LaunchExtras {
  /** SMART 2 `fhirContext`, as the launch gave it. */
  fhirContext?: FhirContextItem[];
  /** SMART `intent`. */
  intent?: string;
  /** Epic's context ids: `appointment`, `location` and `loginDepartment`. */
  appointment?: string;
  location?: string;
  loginDepartment?: string;
}

/** What the clinician was looking at when the app was launched. */
export interface ClinicalContext {
  patientId?: string;
  encounterId?: string;
  needPatientBanner: boolean;
  extras?: LaunchExtras;
}

/** A consent prompt shown by the launcher, waiting for Approve Connection or Cancel. */
export interface PendingConsent extends ClinicalContext {
  id: string;
  sessionId: string;
  applicationId: string;
}

/** The opaque `launch` handed to the app: single use, bound to user and client (S2, S4.9). */
export interface LaunchContext extends ClinicalContext {
  id: string;
  clientId: string;
  username: string;
  /** The EHR session it was made in (Epic and SMART profiles: authorize takes the user from it). */
  sessionId?: string;
  createdAt: number;
  used: boolean;
}

/** Everything an authorization code or refresh token stands for. */
export interface GrantContext extends ClinicalContext {
  /** The Epic or SMART profile server that issued it; unset for Cerner. */
  server?: string;
  clientId: string;
  username: string;
  sessionId: string;
  scopes: string[];
  nonce?: string;
}

export interface AuthorizationCode extends GrantContext {
  code: string;
  tenant: string;
  /** redirect_uri as sent at authorize, or undefined when it was omitted (docs/cerner.md §3). */
  redirectUri: string | undefined;
  codeChallenge?: string;
  /** The authorize request's `state` (Epic repeats it in the token response). */
  state?: string;
  createdAt: number;
  used: boolean;
}

export interface RefreshGrant extends GrantContext {
  token: string;
  offline: boolean;
  lastUsedAt: number;
  revoked: boolean;
}

/** Server-side facts about an access token, looked up by its `jti` (the JWT carries no patient). */
export interface IssuedAccessToken extends ClinicalContext {
  /** The JWT's `jti` (Cerner), or the whole opaque token (Epic and SMART profiles). */
  jti: string;
  clientId: string;
  scopes: string[];
  expiresAt: number;
  /** The FHIR base an opaque token is good for (Epic and SMART profiles). */
  audience?: string;
}

export class SandboxState {
  private readonly sessions = new Map<string, Session>();
  private readonly consents = new Map<string, PendingConsent>();
  private readonly launches = new Map<string, LaunchContext>();
  private readonly codes = new Map<string, AuthorizationCode>();
  private readonly refreshGrants = new Map<string, RefreshGrant>();
  private readonly accessTokens = new Map<string, IssuedAccessToken>();
  private readonly assertionIds = new Map<string, number>();

  constructor(private readonly clock: SandboxClock) {}

  createSession(username: string): Session {
    const session: Session = { id: randomUUID(), username, createdAt: this.clock.nowMs(), ended: false };
    this.sessions.set(session.id, session);
    return session;
  }

  activeSession(id: string | undefined): Session | undefined {
    if (!id) return undefined;
    const session = this.sessions.get(id);
    return session && !session.ended ? session : undefined;
  }

  /** Ends sessions (all, or one user's): online refresh tokens bound to them stop working. */
  endSessions(username?: string): number {
    let ended = 0;
    for (const session of this.sessions.values()) {
      if (!session.ended && (username === undefined || session.username === username)) {
        session.ended = true;
        ended += 1;
      }
    }
    return ended;
  }

  createConsent(input: Omit<PendingConsent, 'id'>): PendingConsent {
    const consent = { ...input, id: randomUUID() };
    this.consents.set(consent.id, consent);
    return consent;
  }

  /** Removes and returns a consent prompt, but only to the session it was shown to. */
  takeConsent(id: string, sessionId: string): PendingConsent | undefined {
    const consent = this.consents.get(id);
    if (!consent || consent.sessionId !== sessionId) return undefined;
    this.consents.delete(id);
    return consent;
  }

  /** `id`: the `launch` value; a UUID unless the profile makes its own (Epic's are long and opaque). */
  createLaunch(
    input: Omit<LaunchContext, 'id' | 'createdAt' | 'used'>,
    id: string = randomUUID(),
  ): LaunchContext {
    const launch: LaunchContext = { ...input, id, createdAt: this.clock.nowMs(), used: false };
    this.launches.set(launch.id, launch);
    return launch;
  }

  /** A launch that can still be used: known, unused and younger than 300 s. */
  usableLaunch(id: string): LaunchContext | undefined {
    const launch = this.launches.get(id);
    if (!launch || launch.used) return undefined;
    if (this.clock.nowMs() - launch.createdAt > LAUNCH_LIFETIME_MS) return undefined;
    return launch;
  }

  issueCode(
    input: Omit<AuthorizationCode, 'code' | 'createdAt' | 'used'>,
    value: string = randomUUID(),
  ): AuthorizationCode {
    const code: AuthorizationCode = {
      ...input,
      code: value,
      createdAt: this.clock.nowMs(),
      used: false,
    };
    this.codes.set(code.code, code);
    return code;
  }

  /** Marks the code used and returns it, or undefined when unknown, used or older than 60 s. */
  redeemCode(value: string): AuthorizationCode | undefined {
    const code = this.codes.get(value);
    if (!code || code.used) return undefined;
    code.used = true;
    if (this.clock.nowMs() - code.createdAt > CODE_LIFETIME_MS) return undefined;
    return code;
  }

  createRefreshGrant(grant: GrantContext, offline: boolean, token: string = randomUUID()): RefreshGrant {
    const refresh: RefreshGrant = {
      ...grant,
      token,
      offline,
      lastUsedAt: this.clock.nowMs(),
      revoked: false,
    };
    this.refreshGrants.set(refresh.token, refresh);
    return refresh;
  }

  refreshGrant(token: string): RefreshGrant | undefined {
    return this.refreshGrants.get(token);
  }

  /**
   * Revokes every live refresh token, or those of one client and/or user (an administrator
   * revoking access, or the user removing the app under "My Authorizations"). Returns how many.
   */
  revokeRefreshGrants(filter: { clientId?: string; username?: string } = {}): number {
    let revoked = 0;
    for (const grant of this.refreshGrants.values()) {
      if (grant.revoked) continue;
      if (filter.clientId !== undefined && grant.clientId !== filter.clientId) continue;
      if (filter.username !== undefined && grant.username !== filter.username) continue;
      grant.revoked = true;
      revoked += 1;
    }
    return revoked;
  }

  rememberAccessToken(token: IssuedAccessToken): void {
    const now = this.clock.nowMs();
    for (const [jti, known] of this.accessTokens) {
      if (known.expiresAt < now) this.accessTokens.delete(jti);
    }
    this.accessTokens.set(token.jti, token);
  }

  accessToken(jti: string): IssuedAccessToken | undefined {
    return this.accessTokens.get(jti);
  }

  /** Forgets an access token (RFC 7009 revocation of an opaque token); false when unknown. */
  revokeAccessToken(jti: string): boolean {
    return this.accessTokens.delete(jti);
  }

  /**
   * Records a client-assertion `jti` until its `exp`; returns false when it was already seen
   * (S5 "jti … has not been seen before its exp").
   */
  rememberAssertionId(clientId: string, jti: string, expiresAtMs: number): boolean {
    const now = this.clock.nowMs();
    for (const [key, expiry] of this.assertionIds) {
      if (expiry < now) this.assertionIds.delete(key);
    }
    const key = `${clientId}\u0000${jti}`;
    if (this.assertionIds.has(key)) return false;
    this.assertionIds.set(key, expiresAtMs);
    return true;
  }
}
