/** Tables of the FHIR proxy and token refresh (migration 0003-fhir-proxy). */

/**
 * A named lease shared by every process on the database: who holds it, until when, and when it
 * was last taken. `refresh:<launch id>` guards one launch's token refresh (the last `acquired_at`
 * also throttles refreshes to one a minute); `launch-sweeper` elects the process that sweeps.
 */
export interface LeaseTable {
  name: string;
  holder: string | null;
  /** The lease is free from this instant on (ISO-8601). Releasing sets it to the release time. */
  expires_at: string;
  /** When the lease was last taken (ISO-8601). */
  acquired_at: string;
}

export interface FhirProxyTables {
  lease: LeaseTable;
}
