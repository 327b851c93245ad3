import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { safeNext } from './console-http.ts';
import { lockDurationMs } from './sign-in-throttle.ts';

describe('where sign-in may send the browser next', () => {
  it('allows console paths', () => {
    for (const path of [
      '/admin',
      '/admin/launches',
      '/admin/launches?status=failed',
      '/admin/audit?launch=abc&before=9',
    ]) {
      assert.equal(safeNext(path), path);
    }
  });

  it('refuses other origins, other paths and the sign-in pages', () => {
    for (const path of [
      'https://evil.example/admin',
      '//evil.example/admin',
      '/\\evil.example',
      '/admin\\@evil.example',
      '/adminx',
      '/launch-debug',
      '/admin/sign-in?next=/admin',
      '/admin/sign-out',
      '/admin/"onmouseover',
      undefined,
      '',
    ]) {
      assert.equal(safeNext(path), null, String(path));
    }
  });
});

describe('sign-in lockout backoff', () => {
  it('locks from the 5th failure for 1 minute, doubling to at most 30 minutes', () => {
    assert.deepEqual(
      [1, 4, 5, 6, 7, 9, 10, 50].map((n) => lockDurationMs(n) / 60_000),
      [0, 0, 1, 2, 4, 16, 30, 30],
    );
  });
});
