/**
 * Reading the gateway's own count of database queries (`chartside_db_queries_total`, round trips
 * on PostgreSQL, statements on SQLite) from its `/metrics`, which the benchmarks open with a
 * metrics token of their own.
 */
import { request } from 'undici';

export const DB_QUERIES = 'chartside_db_queries_total';

/** The sum of every sample of `name` in a Prometheus text exposition; NaN when it has none. */
export function sampleSum(exposition: string, name: string): number {
  let sum = Number.NaN;
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})? (\S+)$/.exec(line);
    if (match?.[1] !== name) continue;
    sum = (Number.isNaN(sum) ? 0 : sum) + Number(match[2]);
  }
  return sum;
}

/** The queries `origin`'s gateway has sent to its database so far. */
export async function scrapeQueries(origin: string, token: string): Promise<number> {
  const response = await request(`${origin}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  const text = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`${origin}/metrics answered ${response.statusCode}`);
  return sampleSum(text, DB_QUERIES);
}
