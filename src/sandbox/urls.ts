/**
 * Every URL the sandbox advertises, derived from one public origin. On the real system these
 * live on several hosts (authorization.cerner.com, fhir-ehr-code.cerner.com, smart.cerner.com,
 * code.cerner.com); here they share one origin and differ by path (docs/cerner.md §10).
 */
export type SmartProfile = 'smart-v1' | 'smart-v2';
export type Persona = 'provider' | 'patient';

export class SandboxUrls {
  constructor(
    private readonly originOf: () => string,
    readonly tenant: string,
  ) {}

  /** The public origin, without a trailing slash. */
  get origin(): string {
    return this.originOf();
  }

  /** host[:port] of the origin: the `{fhirHost}` of the token URL and the FHIR `realm`. */
  get host(): string {
    return new URL(this.origin).host;
  }

  /** The FHIR base and the `iss` of launches, with no trailing slash (S2). */
  get fhirBase(): string {
    return `${this.origin}/r4/${this.tenant}`;
  }

  private get tenantBase(): string {
    return `${this.origin}/tenants/${this.tenant}`;
  }

  /** smart-configuration `issuer` (2026 shape, docs/cerner.md §2). */
  get issuer(): string {
    return this.tenantBase;
  }

  /** Access-token `iss`: the authorization server root with a trailing slash (docs/cerner.md §5). */
  get accessTokenIssuer(): string {
    return `${this.origin}/`;
  }

  authorize(profile: SmartProfile = 'smart-v1', persona: Persona = 'provider'): string {
    return `${this.tenantBase}/protocols/oauth2/profiles/${profile}/personas/${persona}/authorize`;
  }

  /** The token URL as documented through 2024 (no `hosts/` segment). */
  plainToken(profile: SmartProfile = 'smart-v1'): string {
    return `${this.tenantBase}/protocols/oauth2/profiles/${profile}/token`;
  }

  /** The token URL as advertised live in 2026, with the FHIR host segment (docs/cerner.md §2). */
  hostsToken(profile: SmartProfile = 'smart-v1'): string {
    return `${this.tenantBase}/hosts/${this.host}/protocols/oauth2/profiles/${profile}/token`;
  }

  revoke(profile: SmartProfile = 'smart-v1'): string {
    return `${this.tenantBase}/protocols/oauth2/profiles/${profile}/token/revoke`;
  }

  get jwks(): string {
    return `${this.origin}/jwk`;
  }

  get introspection(): string {
    return `${this.origin}/tokeninfo`;
  }

  management(persona: Persona = 'provider'): string {
    return `${this.tenantBase}/personas/${persona}/my-authorizations`;
  }

  /** id_token `iss`; the sandbox idsp is the tenant id (docs/cerner.md §6, FCC-OIDC). */
  get oidcIssuer(): string {
    return `${this.tenantBase}/oidc/idsps/${this.tenant}/`;
  }

  get smartStyle(): string {
    return `${this.origin}/styles/smart-v1.json`;
  }

  /** The EHR launcher, stand-in for smart.cerner.com (S2). */
  launcher(applicationId: string, query: Record<string, string>): string {
    const search = new URLSearchParams(query).toString();
    return `${this.origin}/smart/${this.tenant}/apps/${encodeURIComponent(applicationId)}/?${search}`;
  }

  practitioner(id: string): string {
    return `${this.fhirBase}/Practitioner/${id}`;
  }
}
