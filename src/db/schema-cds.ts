/** Tables of the CDS Hooks relay (migration 0004-cds). */

/**
 * An EHR allowed to call an org's CDS Hooks URL: its JWT `iss`, the JWKS URL its keys are read
 * from, and the only `jku` values it may name (JSON array of URLs; a `jku` outside it is refused
 * without being fetched).
 */
export interface CdsTrustedIssuerTable {
  id: string;
  org_id: string;
  issuer: string;
  jwks_url: string;
  jku_allowlist: string;
  created_at: string;
}

/**
 * A CDS Hooks JWT already accepted, so a replay is refused by every process. `jti_hash` is the
 * SHA-256 of issuer and jti; rows are deleted once past `expires_at` (the JWT's exp plus skew).
 */
export interface CdsJtiTable {
  jti_hash: string;
  expires_at: string;
}

/**
 * A cached CDS answer (connections with CDS caching on). `cache_key` is a SHA-256 over org, CDS
 * endpoint, service, hook, context and prefetch (never a token nor the hookInstance); `body` is
 * the checked answer as sent to the EHR. Only successful answers are stored.
 */
export interface CdsCacheTable {
  cache_key: string;
  org_id: string;
  body: string;
  expires_at: string;
}

export interface CdsTables {
  cds_trusted_issuer: CdsTrustedIssuerTable;
  cds_jti: CdsJtiTable;
  cds_cache: CdsCacheTable;
}
