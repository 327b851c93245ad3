import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { presentedToken, signInCsrf, tokenMatches } from './csrf.ts';

describe('CSRF tokens', () => {
  it('takes the form field first, then the htmx header', () => {
    assert.equal(presentedToken({ _csrf: 'field' }, 'header'), 'field');
    assert.equal(presentedToken({}, 'header'), 'header');
    assert.equal(presentedToken({ _csrf: '' }, undefined), undefined);
    assert.equal(
      presentedToken({ _csrf: ['a', 'b'] }, undefined),
      undefined,
      'a repeated field is not a token',
    );
    assert.equal(presentedToken(undefined, ['a', 'b']), undefined);
  });

  it('matches only the exact token', () => {
    assert.equal(tokenMatches('abc', 'abc'), true);
    assert.equal(tokenMatches('abc', 'abd'), false);
    assert.equal(tokenMatches('abc', 'abcd'), false);
    assert.equal(tokenMatches('abc', undefined), false);
  });

  describe('sign-in form (no session yet)', () => {
    const csrf = signInCsrf(randomBytes(32));

    it('accepts the token made for the cookie’s nonce', () => {
      const nonce = csrf.newNonce();
      assert.equal(csrf.verify(nonce, csrf.tokenFor(nonce)), true);
    });

    it('refuses a token for another nonce, a missing cookie, or the nonce itself as the token', () => {
      const nonce = csrf.newNonce();
      assert.equal(csrf.verify(csrf.newNonce(), csrf.tokenFor(nonce)), false);
      assert.equal(csrf.verify(undefined, csrf.tokenFor(nonce)), false);
      assert.equal(csrf.verify(nonce, nonce), false, 'a planted cookie cannot be echoed as the token');
      assert.equal(csrf.verify(nonce, undefined), false);
    });

    it('depends on the master key: another gateway’s token does not verify', () => {
      const nonce = csrf.newNonce();
      assert.equal(signInCsrf(randomBytes(32)).verify(nonce, csrf.tokenFor(nonce)), false);
    });
  });
});
