/**
 * The FHIR server of a profile server: the sandbox's FHIR R4 data and search rules
 * (fhir-server.ts) behind the profile's opaque bearer tokens, with SMART v1/v2 scopes, wildcards
 * and granular `category` filters (profile-scopes.ts). A token is good only at the FHIR base it
 * was issued for: Epic's non-production tokens fail at production and the reverse.
 */
import type { SandboxContext } from './context.ts';
import { type FhirGate, fhirHandlers } from './fhir-server.ts';
import { decideProfileAccess } from './profile-scopes.ts';
import type { ProfileServer } from './profile-types.ts';

export function profileFhirGate(ctx: SandboxContext, server: ProfileServer): FhirGate {
  return {
    base: () => server.urls.fhir,
    realm: () => ctx.urls.host,
    accepts: () => true,
    async grant(bearer) {
      const issued = ctx.state.accessToken(bearer);
      if (!issued || issued.audience !== server.urls.fhir || issued.expiresAt <= ctx.clock.nowMs())
        return undefined;
      return { scopes: issued.scopes, patientId: issued.patientId };
    },
    decide: decideProfileAccess,
  };
}

export function profileFhirHandlers(ctx: SandboxContext, server: ProfileServer) {
  return fhirHandlers(ctx, profileFhirGate(ctx, server));
}
