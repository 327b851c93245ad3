import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { shapePage } from './paging.ts';

const ids = (from: number, to: number) => {
  const out: number[] = [];
  for (let i = from; from > to ? i >= to : i <= to; i += from > to ? -1 : 1) out.push(i);
  return out;
};

describe('keyset paging, newest first', () => {
  it('first page: no newer link; an older link when more rows exist', () => {
    const page = shapePage(ids(10, 7), { direction: 'first' }, 3, (n) => n);
    assert.deepEqual(page, { rows: [10, 9, 8], older: 8, newer: null });
    assert.deepEqual(
      shapePage(ids(3, 1), { direction: 'first' }, 3, (n) => n),
      {
        rows: [3, 2, 1],
        older: null,
        newer: null,
      },
    );
  });

  it('older page: always a newer link back', () => {
    const page = shapePage(ids(7, 5), { direction: 'older', cursor: 8 }, 3, (n) => n);
    assert.deepEqual(page, { rows: [7, 6, 5], older: null, newer: 7 });
  });

  it('newer page: rows come back oldest first from the query and are shown newest first', () => {
    const page = shapePage(ids(5, 8), { direction: 'newer', cursor: 4 }, 3, (n) => n);
    assert.deepEqual(page, { rows: [7, 6, 5], older: 5, newer: 7 });
    const top = shapePage(ids(5, 7), { direction: 'newer', cursor: 4 }, 3, (n) => n);
    assert.deepEqual(top, { rows: [7, 6, 5], older: 5, newer: null });
  });
});
