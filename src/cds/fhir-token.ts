/**
 * The short-lived FHIR token a CDS service gets in `fhirAuthorization` instead of the EHR's.
 *
 * It is opaque: the grant — one relay base `<PUBLIC_URL>/fhir/cds-<id>`, one patient, read scopes
 * only (the EHR's read grants ∩ the connection's read scopes), at most 5 minutes and never longer
 * than the EHR's token, the EHR's access token, the source's environment (which picks the URL
 * policy of the reads, fhir-access.ts, as the FHIR proxy's launch does) — as JSON sealed under
 * the master key (AES-256-GCM, crypto/sealing.ts) with the base's id as context. Only a gateway
 * process can open it, it opens at its own base only, and nothing is stored, so every process
 * can serve it. CDS Hooks gives the service this token to send back, never to read (§ "FHIR
 * Resource Access"), so it need not be a JWT: sealing costs microseconds where signing one with
 * RSA cost about 0.8 ms of every hook call (`npm run bench:cds`).
 *
 * @see https://cds-hooks.hl7.org/2.0/#passing-the-access-token-to-the-cds-service
 *
 * What it may do at `/fhir/cds-<id>/…` (checkCdsFhirAccess): GET only; `Patient/<patient>`, or a
 * search on a granted type naming the patient (`patient=` or `subject=`, every value the hook's
 * patient; `Patient?_id=<patient>`); no `_include`, `_revinclude`, `_has`, chains or other
 * interactions. Anything else is 403 `cds_fhir_not_allowed`.
 */
import { randomUUID } from 'node:crypto';
import { ChartsideError } from '../errors/catalogue.ts';
import type { Services } from '../services.ts';

export const CDS_FHIR_PREFIX = 'cds-';
export const CDS_FHIR_TOKEN_MAX_SECONDS = 300;
/** Tells a CDS FHIR token from an API key or anything else at a glance (and in a log's prefix). */
const TOKEN_PREFIX = 'cdsfhir.';

const sealContext = (handle: string) => `cds.fhir_token:${handle}`;

export interface CdsFhirGrant {
  readonly handle: string;
  readonly orgId: string;
  readonly fhirBase: string;
  /** The FHIR source's environment (`sandbox` | `production`): the reads' URL policy. */
  readonly environment: string;
  readonly ehrToken: string;
  readonly patient: string;
  /** Resource types readable (`*` = any). */
  readonly types: readonly string[];
}

export interface MintedCdsFhirToken {
  readonly fhirServer: string;
  readonly accessToken: string;
  readonly expiresIn: number;
  readonly scope: string;
}

const READ_SCOPE = /^(?:patient|user|system)\/([A-Za-z]+|\*)\.(?:read|rs|r|\*)$/;

/** The resource types a scope string lets one read. */
export function readableTypes(scope: string): string[] {
  const types = new Set<string>();
  for (const item of scope.split(/\s+/)) {
    const match = READ_SCOPE.exec(item);
    if (match?.[1]) types.add(match[1]);
  }
  return [...types];
}

/** Types readable under both grants (`*` on one side yields the other side's types). */
export function intersectTypes(a: readonly string[], b: readonly string[]): string[] {
  if (a.includes('*')) return [...b];
  if (b.includes('*')) return [...a];
  return a.filter((type) => b.includes(type));
}

export async function mintCdsFhirToken(
  services: Services,
  input: {
    orgId: string;
    fhirBase: string;
    environment: string;
    ehrToken: string;
    patient: string;
    types: string[];
    ehrExpiresIn: number;
  },
  now = Date.now(),
): Promise<MintedCdsFhirToken> {
  const handle = `${CDS_FHIR_PREFIX}${randomUUID()}`;
  const fhirServer = `${services.config.publicUrl}/fhir/${handle}`;
  const expiresIn = Math.max(1, Math.min(CDS_FHIR_TOKEN_MAX_SECONDS, Math.floor(input.ehrExpiresIn)));
  const sealed: SealedGrant = {
    org: input.orgId,
    patient: input.patient,
    types: input.types,
    fhir: input.fhirBase,
    env: input.environment,
    ehr: input.ehrToken,
    exp: Math.floor(now / 1000) + expiresIn,
  };
  const accessToken = TOKEN_PREFIX + services.sealer.seal(JSON.stringify(sealed), sealContext(handle));
  const scope = input.types.map((type) => `patient/${type}.read`).join(' ');
  return { fhirServer, accessToken, expiresIn, scope };
}

/** The grant inside the token (short names: the token travels in every FHIR request). */
interface SealedGrant {
  readonly org: string;
  readonly patient: string;
  readonly types: readonly string[];
  readonly fhir: string;
  readonly env: string;
  readonly ehr: string;
  /** Seconds since the epoch. */
  readonly exp: number;
}

/** Check a bearer token presented at `/fhir/<handle>/…`. Throws 401 `invalid_cds_token`. */
export async function verifyCdsFhirToken(
  services: Services,
  handle: string,
  authorization: string | undefined,
  now = Date.now(),
): Promise<CdsFhirGrant> {
  const token = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
  if (!token)
    throw new ChartsideError('invalid_cds_token', { message: 'Send the CDS FHIR token as a Bearer token.' });
  try {
    if (!token.startsWith(TOKEN_PREFIX)) throw new Error('not a CDS FHIR token');
    // Opens only at the base it was minted for: the handle is the sealed value's context.
    const grant = JSON.parse(
      services.sealer.open(token.slice(TOKEN_PREFIX.length), sealContext(handle)),
    ) as Partial<Record<keyof SealedGrant, unknown>>;
    const { org, patient, types, fhir, env, ehr, exp } = grant;
    if (typeof exp !== 'number' || exp * 1000 <= now) throw new Error('expired');
    if (
      typeof org !== 'string' ||
      typeof patient !== 'string' ||
      typeof fhir !== 'string' ||
      typeof ehr !== 'string'
    )
      throw new Error('claims missing');
    if (!Array.isArray(types) || !types.every((type) => typeof type === 'string')) throw new Error('types');
    const environment = env === 'sandbox' ? 'sandbox' : 'production';
    return { handle, orgId: org, fhirBase: fhir, environment, ehrToken: ehr, patient, types };
  } catch (error) {
    throw new ChartsideError('invalid_cds_token', { cause: error });
  }
}

const FORBIDDEN_PARAMS = /^(?:_include|_revinclude|_has|_contained|_query|_filter|_list)(?::|$)|\./;
const PATIENT_PARAMS = /^(?:patient|subject)(?::Patient)?$/;

/** Whether a read under the grant is allowed (throws 403 `cds_fhir_not_allowed` otherwise). */
export function checkCdsFhirAccess(
  grant: CdsFhirGrant,
  method: string,
  segments: readonly string[],
  query: string,
): void {
  const refuse = (message: string) => new ChartsideError('cds_fhir_not_allowed', { message });
  if (method !== 'GET') throw refuse('A CDS FHIR token is read-only.');
  const [type, id, ...rest] = segments;
  if (!type || rest.length > 0)
    throw refuse('Only a read of the hook’s Patient or a search naming it is allowed.');
  if (!grant.types.includes('*') && !grant.types.includes(type)) {
    throw refuse(`The CDS FHIR token does not grant reading ${type}.`);
  }
  const params = new URLSearchParams(query);
  if (id !== undefined) {
    if (type === 'Patient' && id === grant.patient && query === '') return;
    throw refuse('Only the hook’s patient may be read by id; search other types by patient.');
  }
  const names = [...new Set(params.keys())];
  if (names.some((name) => FORBIDDEN_PARAMS.test(name))) {
    throw refuse('Includes, reverse includes, _has and chained parameters are not allowed.');
  }
  const patientRefs = new Set([grant.patient, `Patient/${grant.patient}`]);
  const targeting =
    type === 'Patient' ? names.filter((n) => n === '_id') : names.filter((n) => PATIENT_PARAMS.test(n));
  if (type === 'Patient' && names.some((n) => n !== '_id' && n.startsWith('_id')))
    throw refuse('Unsupported _id modifier.');
  if (type !== 'Patient' && names.some((n) => /^(?:patient|subject)/.test(n) && !PATIENT_PARAMS.test(n))) {
    throw refuse('Unsupported patient parameter modifier.');
  }
  if (targeting.length === 0) throw refuse('A search must name the hook’s patient.');
  for (const name of targeting) {
    for (const value of params.getAll(name)) {
      const refs = value.split(',');
      if (refs.some((ref) => !patientRefs.has(ref)))
        throw refuse('A search may only name the hook’s patient.');
    }
  }
}
