/** Tables of the admin console (migration 0002-admin). */
// biome-ignore lint/suspicious/noEmptyInterface: filled by the admin console
export interface AdminTables {}
