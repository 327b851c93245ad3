/**
 * Table shapes as Kysely sees them. Portable across SQLite and PostgreSQL: text ids, ISO-8601
 * text timestamps, 0/1 integers for booleans, JSON as text (parsed in code).
 */
import type { Generated } from 'kysely';
import type { AdminTables } from './schema-admin.ts';
import type { CdsTables } from './schema-cds.ts';
import type { FhirProxyTables } from './schema-fhir-proxy.ts';
import type { WebhookTables } from './schema-webhooks.ts';

export interface OrganizationTable {
  id: string;
  name: string;
  created_at: string;
}

export interface FhirSourceTable {
  id: string;
  vendor: string;
  name: string;
  fhir_base_url: string;
  environment: string;
  /** JSON of the last discovered SMART configuration (see smart/discovery.ts). */
  discovery: string | null;
  discovered_at: string | null;
  created_at: string;
  updated_at: string;
}

/** An org's Clinical Workflow connection to one EHR vendor (the guide's Settings → Connections page). */
export interface ConnectionTable {
  id: string;
  org_id: string;
  vendor: string;
  app_launch_url: string | null;
  cds_endpoint: string | null;
  cds_caching: number;
  scopes: string;
  /** `RS384` or `ES384`; NULL: the EHR's advertised choice (migration 0009). */
  signing_alg: string | null;
  /** 1: send our JWKS URL as the assertion's `jku` header (migration 0009). */
  assertion_jku: number;
  created_at: string;
  updated_at: string;
}

/** A connection's client credentials for one environment (migration 0007): sandbox and production. */
export interface ConnectionCredentialTable {
  connection_id: string;
  environment: string;
  use_custom_credentials: number;
  client_id: string | null;
  /** Sealed; the sealing context names the connection (settings/connections.ts). */
  client_secret: string | null;
  auth_method: string;
  updated_at: string;
}

/** An organization may launch against a source only when they are linked (migration 0007). */
export interface OrgFhirSourceTable {
  org_id: string;
  fhir_source_id: string;
  created_at: string;
  /** Who linked them: `cli`, `operator:<id>`, `migration`, `dev-seed`. */
  created_by: string;
}

export interface LaunchStateTable {
  /** SHA-256 of the `state` value: a database reader cannot replay it. */
  state_hash: string;
  launch_id: string;
  org_id: string;
  fhir_source_id: string;
  code_verifier: string;
  redirect_uri: string;
  client_id: string;
  expires_at: string;
  consumed_at: string | null;
  created_at: string;
}

export interface EhrLaunchTable {
  id: string;
  org_id: string;
  fhir_source_id: string | null;
  iss: string;
  /** The source's environment when the launch started (migration 0007). */
  environment: string;
  status: string;
  client_id: string;
  access_token: string | null;
  refresh_token: string | null;
  token_expires_at: string | null;
  scope: string | null;
  requested_scope: string;
  patient_fhir_id: string | null;
  encounter_fhir_id: string | null;
  fhir_user: string | null;
  id_token_claims: string | null;
  need_patient_banner: number | null;
  smart_style_url: string | null;
  tenant: string | null;
  error_code: string | null;
  ehr_error: string | null;
  ehr_error_uri: string | null;
  /** The EHR's `error_description`, capped (migration 0009). */
  ehr_error_description: string | null;
  /** The source's vendor when the launch started (migration 0009). */
  vendor: string | null;
  /** SMART `intent`, `fhirContext` (JSON array) and the token response's other fields (JSON), migration 0009. */
  intent: string | null;
  fhir_context: string | null;
  extra_context: string | null;
  created_at: string;
  updated_at: string;
  completed_at: string | null;
  /** When the launch left `ready` for `expired` or `refresh_failed` (migration 0003). */
  ended_at: string | null;
  /** Why it ended: see launch/lifecycle.ts `EndReason` (migration 0003). */
  end_reason: string | null;
}

export interface ScopedAccountTable {
  id: string;
  org_id: string;
  fhir_source_id: string;
  patient_fhir_id: string;
  first_launch_id: string;
  last_launch_id: string;
  launch_count: number;
  created_at: string;
  updated_at: string;
}

export interface ApiKeyTable {
  id: string;
  org_id: string;
  /** The public part of the key, shown in lists. */
  prefix: string;
  /** SHA-256 of the whole key (hex). */
  key_hash: string;
  /** `sandbox` or `production`: the launches this key may read (migration 0007). */
  environment: string;
  /** The key's text starts `cs_<marker>_`: `test`, `live`, or `sk` for keys made before 0007. */
  marker: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface SigningKeyTable {
  kid: string;
  alg: string;
  public_jwk: string;
  private_jwk: string;
  status: string;
  created_at: string;
  /** When the key starts signing (ISO); NULL = since it was created. Published before that. */
  activates_at: string | null;
  /** When a replaced key leaves the JWKS (ISO); NULL = not planned. The row is kept. */
  retires_at: string | null;
}

export interface AuditEventTable {
  id: Generated<number>;
  at: string;
  org_id: string | null;
  actor: string;
  action: string;
  launch_id: string | null;
  request_id: string | null;
  details: string | null;
}

export interface Database extends AdminTables, FhirProxyTables, CdsTables, WebhookTables {
  organization: OrganizationTable;
  fhir_source: FhirSourceTable;
  connection: ConnectionTable;
  connection_credential: ConnectionCredentialTable;
  org_fhir_source: OrgFhirSourceTable;
  launch_state: LaunchStateTable;
  ehr_launch: EhrLaunchTable;
  scoped_account: ScopedAccountTable;
  api_key: ApiKeyTable;
  signing_key: SigningKeyTable;
  audit_event: AuditEventTable;
}
