/**
 * Hand-written statements for the few writes every EHR launch makes (bench:launch). Kysely's
 * builder builds and compiles a query on every call; a {@link Statement} is compiled once, at
 * module load, for both engines, and runs through the same Kysely connection, pool and
 * transaction as everything else.
 *
 * The text is written once in PostgreSQL's notation (`$1`, `$2`, a number may repeat). SQLite
 * gets `?` in their place and the values reordered to match. The text must not contain `$` in
 * string literals or identifiers, and on PostgreSQL must use every number from `$1` to its highest
 * (a number it skips has no type to infer).
 */
import { CompiledQuery, type Kysely, PostgresAdapter, type QueryResult } from 'kysely';
import { sha256Hex } from '../crypto/random.ts';

export interface Statement<Row> {
  readonly postgres: string;
  readonly sqlite: string;
  /** For each `?` of the SQLite text, the index of its value. */
  readonly order: readonly number[];
  /** The highest `$n`: PostgreSQL refuses more values than the text uses. */
  readonly count: number;
  /** Carries the row type only. */
  readonly row?: Row;
}

export function statement<Row = never>(text: string): Statement<Row> {
  const order: number[] = [];
  const sqlite = text.replace(/\$(\d+)/g, (_match, number: string) => {
    order.push(Number(number) - 1);
    return '?';
  });
  preparedNames.set(text, `chartside_${sha256Hex(text).slice(0, 20)}`);
  return { postgres: text, sqlite, order, count: Math.max(0, ...order) + (order.length > 0 ? 1 : 0) };
}

/** Every statement's PostgreSQL text → the name it is prepared under (see db/index.ts). */
const preparedNames = new Map<string, string>();

export function preparedStatementName(postgresText: string): string | undefined {
  return preparedNames.get(postgresText);
}

// biome-ignore lint/suspicious/noExplicitAny: statements name their tables in SQL, not in types
type AnyDb = Kysely<any>;

export function isPostgres(db: AnyDb): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/**
 * Run `statement` with `values` (`$n` is `values[n - 1]`) on `db` or a transaction. Values past
 * the highest `$n` are ignored, so related statements can share one list.
 */
export function run<Row>(
  db: AnyDb,
  statement: Statement<Row>,
  values: readonly unknown[],
): Promise<QueryResult<Row>> {
  const query = isPostgres(db)
    ? CompiledQuery.raw(statement.postgres, values.slice(0, statement.count))
    : CompiledQuery.raw(
        statement.sqlite,
        statement.order.map((index) => values[index]),
      );
  return db.executeQuery(query as CompiledQuery<Row>);
}
