import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CSP, contentSecurityPolicy, refuseFraming } from './csp.ts';

describe('Content-Security-Policy values', () => {
  it('the console page: its own files only, forms back to us, never framed', () => {
    assert.equal(
      CSP.consolePage,
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    );
  });

  it('the error page: no script, inline style, framing left to the path', () => {
    assert.equal(
      CSP.errorPage,
      "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'",
    );
  });

  it('the launch-debug page: like the error page, and no form may post anywhere', () => {
    assert.equal(
      CSP.launchDebug,
      "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'",
    );
  });

  it('starts from nothing allowed and lists only what a page asks for', () => {
    assert.equal(
      contentSecurityPolicy({ styles: 'self', forms: 'none', framing: 'none' }),
      "default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    assert.doesNotMatch(CSP.errorPage, /script-src|img-src|connect-src|frame-ancestors/);
  });

  it('refuses framing: alone, added to a policy, or left as the policy says', () => {
    assert.equal(refuseFraming(undefined), "frame-ancestors 'none'");
    assert.equal(refuseFraming(''), "frame-ancestors 'none'");
    assert.equal(refuseFraming(CSP.errorPage), `${CSP.errorPage}; frame-ancestors 'none'`);
    assert.equal(refuseFraming(CSP.consolePage), CSP.consolePage);
    assert.equal(refuseFraming("frame-ancestors 'self'"), "frame-ancestors 'self'");
  });
});
