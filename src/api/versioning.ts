/**
 * API versions this build answers (the `Version` header, checked by the route schemas in
 * schemas.ts). A request without `Version` gets the newest.
 */
export const API_VERSIONS = ['2026-11-29'] as const;
