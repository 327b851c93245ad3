/**
 * Whether the app gets FHIR access for a hook call, and the `fhirServer`/`fhirAuthorization` it
 * gets: only when the EHR sent `fhirAuthorization` for a registered FHIR source and a patient,
 * and some read type is granted both by the EHR and by the connection's scopes.
 */
import type { Services } from '../services.ts';
import { findFhirSourceByIss } from '../settings/fhir-sources.ts';
import { intersectTypes, mintCdsFhirToken, readableTypes } from './fhir-token.ts';
import { type CdsConnection, isObject, isText } from './relay-support.ts';

export type FhirAccess =
  | { granted: true; fhirServer: string; fhirAuthorization: Record<string, unknown> }
  /** `reason` null: the EHR offered no FHIR access at all (nothing to audit). */
  | { granted: false; reason: string | null };

export async function grantFhirAccess(
  services: Services,
  orgId: string,
  connection: CdsConnection,
  body: Record<string, unknown>,
): Promise<FhirAccess> {
  const auth = body.fhirAuthorization;
  if (!isObject(auth)) return { granted: false, reason: null };
  if (!isText(auth.access_token) || !isText(body.fhirServer)) {
    return { granted: false, reason: 'fhirAuthorization without access_token or fhirServer' };
  }
  const source = await findFhirSourceByIss(services.db, body.fhirServer);
  if (!source) return { granted: false, reason: 'fhirServer is not a registered FHIR source' };
  const context = body.context as Record<string, unknown>;
  const patient = isText(auth.patient) ? auth.patient : isText(context.patientId) ? context.patientId : null;
  if (!patient) return { granted: false, reason: 'no patient in fhirAuthorization or context' };
  const types = intersectTypes(
    readableTypes(typeof auth.scope === 'string' ? auth.scope : ''),
    readableTypes(connection.scopes),
  );
  if (types.length === 0) {
    return { granted: false, reason: 'no read scope granted by both the EHR and the connection' };
  }
  const expiresIn = typeof auth.expires_in === 'number' && auth.expires_in > 0 ? auth.expires_in : 60;
  const token = await mintCdsFhirToken(services, {
    orgId,
    fhirBase: source.fhir_base_url,
    environment: source.environment,
    ehrToken: auth.access_token,
    patient,
    types,
    ehrExpiresIn: expiresIn,
  });
  return {
    granted: true,
    fhirServer: token.fhirServer,
    fhirAuthorization: {
      access_token: token.accessToken,
      token_type: 'Bearer',
      expires_in: token.expiresIn,
      scope: token.scope,
      subject: isText(auth.subject) ? auth.subject : 'chartside',
      patient,
    },
  };
}
