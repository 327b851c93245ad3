/**
 * Hot queries: the few writes every EHR launch makes (bench:launch). They are Kysely queries like
 * any other, but building and compiling a query costs more client CPU than running one of these
 * short writes, so a {@link hotQuery} is built and compiled once per engine and then run with
 * each call's values, through the same Kysely connection, pool and transaction as the rest.
 *
 * On PostgreSQL a hot query can also be a named prepared statement ({@link wrappedPool}).
 */
import {
  type Compilable,
  CompiledQuery,
  type Kysely,
  PostgresAdapter,
  type PostgresPool,
  type PostgresPoolClient,
  type QueryResult,
} from 'kysely';
import type pg from 'pg';
import type { Engine } from './engine.ts';
import type { Database } from './schema.ts';

// biome-ignore lint/suspicious/noExplicitAny: any schema (settings/org-links.ts asks too)
export function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** Runs a hot query on `db` (or a transaction) with this call's values. */
export type HotQuery<Values, Row> = (db: Kysely<Database>, values: Values) => Promise<QueryResult<Row>>;

/**
 * A query built once per engine by `build` and run as compiled SQL from then on.
 *
 * `build` gets a placeholder in place of each value it reads (`values.id`, `values.now`, …):
 * it may hand them to the builder (`.values({ id: values.id })`, `.where('id', '=', values.id)`,
 * `eb.val(values.now)`) but must not look at them, since its result is kept for every later
 * call. A value computed from others is one more value, computed by the caller. Constants the
 * builder turns into parameters (`status: 'pending'`) stay as they were built.
 *
 * @param name Unique; the PostgreSQL prepared statement is `chartside_<name>`.
 */
export function hotQuery<Values extends object, Row>(
  name: string,
  build: (db: Kysely<Database>, values: Values) => Compilable<Row>,
): HotQuery<Values, Row> {
  if (hotQueryNames.has(name)) throw new Error(`hot query ${name} is defined twice`);
  hotQueryNames.add(name);
  // Per engine, the query as built: its parameters are placeholders and constants.
  const built: Partial<Record<Engine, CompiledQuery<Row>>> = {};
  return (db, values) => {
    const engine: Engine = isPostgres(db) ? 'postgres' : 'sqlite';
    let template = built[engine];
    if (!template) {
      template = build(db, placeholders() as Values).compile();
      if (engine === 'postgres') preparedNames.set(template.sql, `chartside_${name}`);
      built[engine] = template;
    }
    const parameters = template.parameters.map((parameter) =>
      parameter instanceof Placeholder ? values[parameter.key as keyof Values] : parameter,
    );
    return db.executeQuery(CompiledQuery.raw(template.sql, parameters) as CompiledQuery<Row>);
  };
}

const hotQueryNames = new Set<string>();

class Placeholder {
  constructor(readonly key: string) {}
}

/** An object whose every property is a placeholder named after it. */
function placeholders(): object {
  const made = new Map<string, Placeholder>();
  return new Proxy(
    {},
    {
      get: (_target, key) => {
        if (typeof key !== 'string') return undefined;
        let placeholder = made.get(key);
        if (!placeholder) {
          placeholder = new Placeholder(key);
          made.set(key, placeholder);
        }
        return placeholder;
      },
    },
  );
}

/** The PostgreSQL text of every hot query → its prepared statement name. */
const preparedNames = new Map<string, string>();

/**
 * `pool` for Kysely's PostgresDialect, as the one place every query to PostgreSQL passes.
 *
 * With `prepare`, each hot query goes out as a named prepared statement
 * (`query({ name, text, values })`): PostgreSQL parses and plans it once per connection instead
 * of on every launch (a third less server CPU per launch in a micro-benchmark, client CPU the
 * same). Every other query goes out as before. Not for a pooler in transaction mode, which
 * cannot keep prepared statements (PgBouncer before 1.21): `CHARTSIDE_PG_PREPARED_STATEMENTS=false`
 * turns it off.
 *
 * `onQuery` is called once per query sent, `begin` and `commit` included: a round trip each
 * (`chartside_db_queries_total`).
 *
 * A hot query must name the columns it returns: a prepared statement whose result shape changes
 * under it (`returning *` after a migration adds a column) fails with "cached plan must not
 * change result type".
 */
export function wrappedPool(
  pool: pg.Pool,
  options: { readonly prepare: boolean; readonly onQuery?: (() => void) | undefined },
): PostgresPool {
  const { prepare, onQuery } = options;
  // Kysely keeps one connection per client object: the same client, the same wrapper.
  const wrappers = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  const wrap = (client: pg.PoolClient): PostgresPoolClient => ({
    // Kysely calls query(text, values); anything else (a cursor) is passed on as it came.
    query: ((text: string, values?: unknown[]) => {
      onQuery?.();
      const name = prepare ? preparedNames.get(text) : undefined;
      return name ? client.query({ name, text, values }) : client.query(text, values);
    }) as unknown as PostgresPoolClient['query'],
    release: (destroy) => client.release(destroy),
  });
  return {
    connect: async () => {
      const client = await pool.connect();
      let wrapper = wrappers.get(client);
      if (!wrapper) {
        wrapper = wrap(client);
        wrappers.set(client, wrapper);
      }
      return wrapper;
    },
    end: () => pool.end(),
  };
}
