/** Tables of the FHIR proxy and token refresh (migration 0003-fhir-proxy). */
// biome-ignore lint/suspicious/noEmptyInterface: filled by the FHIR proxy
export interface FhirProxyTables {}
