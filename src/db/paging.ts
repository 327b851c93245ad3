/**
 * Keyset paging for newest-first lists: `before` (older page) and `after` (newer page) cursors.
 * Stable while rows are added, and cheap on big tables (no OFFSET).
 */
export const PAGE_SIZE = 25;

export type PageRequest<C> = { direction: 'first' } | { direction: 'older' | 'newer'; cursor: C };

export interface Page<T, C> {
  rows: T[];
  /** Cursor for the next older page, or null at the end. */
  older: C | null;
  /** Cursor for the next newer page, or null when this is the newest. */
  newer: C | null;
}

/**
 * Shape a page from a query that asked for `size + 1` rows: newest first for `first`/`older`,
 * oldest first for `newer` (reversed here).
 */
export function shapePage<T, C>(
  fetched: T[],
  request: PageRequest<C>,
  size: number,
  cursorOf: (row: T) => C,
): Page<T, C> {
  const more = fetched.length > size;
  const rows = fetched.slice(0, size);
  if (request.direction === 'newer') rows.reverse();
  const first = rows[0];
  const last = rows[rows.length - 1];
  const olderExists = request.direction === 'newer' ? true : more;
  const newerExists = request.direction === 'first' ? false : request.direction === 'older' ? true : more;
  return {
    rows,
    older: olderExists && last ? cursorOf(last) : null,
    newer: newerExists && first ? cursorOf(first) : null,
  };
}
