/**
 * The sandbox's app registrations (Code Console apps and their Cerner Central system accounts),
 * kept in the sandbox's own SQLite file under the data folder so a restart keeps what was
 * registered in the console. Without a data folder the file is in memory. Every read goes to the
 * database: a change (an edited URI, a rotated secret) holds for the very next request.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { privacyOf, type SandboxAppRegistration } from './config.ts';

/** The file name under the data folder; the gateway's own database is `chartside.db` beside it. */
export const REGISTRY_FILE = 'cerner-sandbox.db';

interface RegistrationRow {
  client_id: string;
  application_id: string;
  registration: string;
  secret_viewed: number;
}

/** What may change on a registered app after Submit: the URIs (the guide's "Edit"). */
export interface UriChanges {
  redirectUris: string[];
  launchUri: string;
}

/** A new client secret: 32 random bytes, base64url (what Cerner Central issues is opaque too). */
export function newClientSecret(): string {
  return randomBytes(32).toString('base64url');
}

const SCHEMA = `
create table if not exists app_registration (
  client_id text primary key,
  application_id text not null unique,
  registration text not null,
  secret_viewed integer not null default 0,
  created_at text not null
)`;

export class AppRegistry {
  private constructor(private readonly db: SQLite.Database) {}

  /** Opens (and creates) the registry in `dataDir`, or in memory without one. */
  static open(dataDir: string | undefined): AppRegistry {
    let file = ':memory:';
    if (dataDir !== undefined) {
      mkdirSync(dataDir, { recursive: true });
      file = join(dataDir, REGISTRY_FILE);
    }
    const db = new SQLite(file);
    // It holds client secrets: readable by its owner only, like the gateway's master key.
    if (file !== ':memory:') chmodSync(file, 0o600);
    db.pragma('journal_mode = WAL');
    db.exec(SCHEMA);
    return new AppRegistry(db);
  }

  close(): void {
    this.db.close();
  }

  /** Every app, oldest registration first (the order of My Applications). */
  all(): SandboxAppRegistration[] {
    const rows = this.db
      .prepare('select * from app_registration order by created_at, rowid')
      .all() as RegistrationRow[];
    return rows.map(toRegistration);
  }

  byClientId(clientId: string | undefined): SandboxAppRegistration | undefined {
    if (!clientId) return undefined;
    const row = this.db.prepare('select * from app_registration where client_id = ?').get(clientId) as
      | RegistrationRow
      | undefined;
    return row && toRegistration(row);
  }

  byApplicationId(applicationId: string): SandboxAppRegistration | undefined {
    const row = this.db
      .prepare('select * from app_registration where application_id = ?')
      .get(applicationId) as RegistrationRow | undefined;
    return row && toRegistration(row);
  }

  /**
   * Writes a configured app (sandbox options, the dev seed), replacing the one with its client id.
   * Whether its secret was viewed is kept unless the secret changed.
   */
  save(app: SandboxAppRegistration): void {
    const before = this.byClientId(app.clientId);
    const keepViewed = before !== undefined && before.secret === app.secret;
    this.db
      .prepare(
        `insert into app_registration (client_id, application_id, registration, secret_viewed, created_at)
         values (?, ?, ?, 0, ?)
         on conflict (client_id) do update set application_id = excluded.application_id,
           registration = excluded.registration,
           secret_viewed = case when ? then app_registration.secret_viewed else 0 end`,
      )
      .run(
        app.clientId,
        app.applicationId,
        JSON.stringify(app),
        new Date().toISOString(),
        keepViewed ? 1 : 0,
      );
  }

  /**
   * A new app from the Code Console wizard: fresh Application ID and Client ID (= the Cerner
   * Central account id), and a secret when it is Confidential.
   */
  register(
    input: Omit<SandboxAppRegistration, 'applicationId' | 'clientId' | 'secret'>,
  ): SandboxAppRegistration {
    const app: SandboxAppRegistration = { ...input, applicationId: randomUUID(), clientId: randomUUID() };
    if (input.privacy === 'confidential') app.secret = newClientSecret();
    this.db
      .prepare(
        'insert into app_registration (client_id, application_id, registration, created_at) values (?, ?, ?, ?)',
      )
      .run(app.clientId, app.applicationId, JSON.stringify(app), new Date().toISOString());
    return app;
  }

  updateUris(clientId: string, changes: UriChanges): SandboxAppRegistration | undefined {
    return this.update(clientId, (app) => ({ ...app, ...changes }));
  }

  /** Sets (or, with undefined, clears) the JSON Web Key Set URL of the system account. */
  setJwksUrl(clientId: string, jwksUrl: string | undefined): SandboxAppRegistration | undefined {
    return this.update(clientId, ({ jwksUrl: _old, ...app }) => (jwksUrl ? { ...app, jwksUrl } : app));
  }

  /**
   * Shows the secret once ("View"): the first call returns it, later ones undefined until it is
   * rotated. Undefined too for an app without a secret.
   */
  viewSecretOnce(clientId: string): string | undefined {
    const app = this.byClientId(clientId);
    if (app?.secret === undefined) return undefined;
    const taken = this.db
      .prepare('update app_registration set secret_viewed = 1 where client_id = ? and secret_viewed = 0')
      .run(clientId);
    return taken.changes === 1 ? app.secret : undefined;
  }

  /** Whether "View" would still show the secret. */
  secretViewable(clientId: string): boolean {
    const row = this.db
      .prepare('select secret_viewed from app_registration where client_id = ?')
      .get(clientId) as Pick<RegistrationRow, 'secret_viewed'> | undefined;
    return row !== undefined && row.secret_viewed === 0;
  }

  /**
   * "Manage" → rotate: a new secret replaces the old one at once (the old one stops working on
   * the next token request) and can be viewed once.
   */
  rotateSecret(clientId: string): string | undefined {
    const app = this.byClientId(clientId);
    if (app === undefined || privacyOf(app) === 'public') return undefined;
    const secret = newClientSecret();
    this.db
      .prepare('update app_registration set registration = ?, secret_viewed = 0 where client_id = ?')
      .run(JSON.stringify({ ...app, secret }), clientId);
    return secret;
  }

  private update(
    clientId: string,
    change: (app: SandboxAppRegistration) => SandboxAppRegistration,
  ): SandboxAppRegistration | undefined {
    const app = this.byClientId(clientId);
    if (app === undefined) return undefined;
    const changed = change(app);
    this.db
      .prepare('update app_registration set registration = ? where client_id = ?')
      .run(JSON.stringify(changed), clientId);
    return changed;
  }
}

function toRegistration(row: RegistrationRow): SandboxAppRegistration {
  return JSON.parse(row.registration) as SandboxAppRegistration;
}
