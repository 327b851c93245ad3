/** Tables of the admin console (migration 0002-admin). */

/**
 * A person who signs in to the console: an org operator (one organization) or a platform admin
 * (no organization; manages sources and links for every organization).
 */
export interface OperatorTable {
  /** `op_…` */
  id: string;
  /** NULL for platform admins. */
  org_id: string | null;
  /** `platform_admin` | `org_operator` (migration 0007). */
  role: string;
  /** Lower-cased; unique across the gateway. */
  email: string;
  /** `$scrypt$ln=…,r=…,p=…$<salt>$<hash>` (see admin/passwords.ts). */
  password_hash: string;
  created_at: string;
  updated_at: string;
  last_sign_in_at: string | null;
}

/** A signed-in browser. Kept in the database so any gateway process can serve the console. */
export interface ConsoleSessionTable {
  /** SHA-256 of the cookie value: a database reader cannot take over a session. */
  id_hash: string;
  operator_id: string;
  /** The organization a platform admin is looking at (NULL: the first one); unused for org operators. */
  acting_org_id: string | null;
  /** The synchronizer token every console form carries. */
  csrf_token: string;
  /** A one-time message for the next page (sealed: it may hold a new API key). */
  flash: string | null;
  created_at: string;
  last_seen_at: string;
  /** Absolute end of the session, whatever the activity. */
  expires_at: string;
}

/** Failed sign-ins per email (known or not), for lockout with backoff. */
export interface SignInThrottleTable {
  email: string;
  failures: number;
  last_failure_at: string;
  locked_until: string | null;
}

export interface AdminTables {
  operator: OperatorTable;
  console_session: ConsoleSessionTable;
  sign_in_throttle: SignInThrottleTable;
}
