import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  assertTokenError,
  basicAuth,
  CLIENT_ID,
  codeForm,
  exchange,
  issueCode,
  PATIENT_WILMA,
  postForm,
  refreshForm,
  SECRET,
  sandboxForSuite,
  startTestSandbox,
  TOKEN_URN,
} from './test-support.ts';

describe('refresh and revocation (docs/cerner.md §7, S5 refresh_token, S6)', () => {
  const sandbox = sandboxForSuite(startTestSandbox);

  it('refreshes without issuing a new refresh token, keeping the scope (docs/cerner.md §7)', async () => {
    const { code, verifier } = await issueCode(sandbox);
    const first = await exchange(sandbox, codeForm(code, verifier));
    const refreshed = await exchange(sandbox, refreshForm(String(first.body.refresh_token)));
    assert.equal(refreshed.response.status, 200);
    assert.equal(refreshed.body.refresh_token, undefined);
    assert.equal(refreshed.body.scope, first.body.scope);
    assert.equal(refreshed.body.patient, PATIENT_WILMA);
    assert.equal(refreshed.body.expires_in, 570);
    assert.notEqual(refreshed.body.access_token, first.body.access_token);
    // The original refresh token keeps working.
    const again = await exchange(sandbox, refreshForm(String(first.body.refresh_token)));
    assert.equal(again.response.status, 200);
  });

  it('fails an online refresh with session-invalid once the user session ended', async () => {
    const { code, verifier } = await issueCode(sandbox);
    const first = await exchange(sandbox, codeForm(code, verifier));
    await fetch(`${sandbox.origin}/_test/sessions/end`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'portal' }),
    });
    const result = await exchange(sandbox, refreshForm(String(first.body.refresh_token)));
    assertTokenError(sandbox, result, 'invalid_grant', `${TOKEN_URN}refresh-token:session-invalid`);
  });

  it('keeps an offline refresh token working after the session ended', async () => {
    const { code, verifier } = await issueCode(
      sandbox,
      {},
      { scope: 'launch offline_access user/Patient.read' },
    );
    const first = await exchange(sandbox, codeForm(code, verifier));
    await fetch(`${sandbox.origin}/_test/sessions/end`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    const result = await exchange(sandbox, refreshForm(String(first.body.refresh_token)));
    assert.equal(result.response.status, 200);
  });

  it('revokes a refresh token (RFC 7009), after which refresh fails with token-invalid', async () => {
    const { code, verifier } = await issueCode(sandbox);
    const first = await exchange(sandbox, codeForm(code, verifier));
    const revoke = await postForm(
      `${sandbox.origin}/tenants/${sandbox.tenant}/protocols/oauth2/profiles/smart-v1/token/revoke`,
      { token: String(first.body.refresh_token) },
      { authorization: basicAuth(CLIENT_ID, SECRET) },
    );
    assert.equal(revoke.status, 200);
    assert.equal(await revoke.text(), '');
    const result = await exchange(sandbox, refreshForm(String(first.body.refresh_token)));
    assertTokenError(sandbox, result, 'invalid_grant', `${TOKEN_URN}refresh-token:token-invalid`);
  });

  it('revokes refresh tokens by test control, as an administrator would', async () => {
    const { code, verifier } = await issueCode(sandbox);
    const first = await exchange(sandbox, codeForm(code, verifier));
    const control = await fetch(`${sandbox.origin}/_test/refresh-tokens/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: CLIENT_ID }),
    });
    const { revoked } = (await control.json()) as { revoked: number };
    assert.ok(revoked >= 1);
    const result = await exchange(sandbox, refreshForm(String(first.body.refresh_token)));
    assertTokenError(sandbox, result, 'invalid_grant', `${TOKEN_URN}refresh-token:token-invalid`);
  });
});

describe('refresh-token rotation (rotateRefreshTokens)', () => {
  const sandbox = sandboxForSuite(() => startTestSandbox({ rotateRefreshTokens: true }));

  it('answers a refresh with a new refresh token and revokes the one presented', async () => {
    const { code, verifier } = await issueCode(sandbox);
    const first = await exchange(sandbox, codeForm(code, verifier));
    const second = await exchange(sandbox, refreshForm(String(first.body.refresh_token)));
    assert.equal(second.response.status, 200);
    assert.match(String(second.body.refresh_token), /^[0-9a-f-]{36}$/);
    assert.notEqual(second.body.refresh_token, first.body.refresh_token);
    assert.equal(second.body.scope, first.body.scope);

    const replayed = await exchange(sandbox, refreshForm(String(first.body.refresh_token)));
    assertTokenError(sandbox, replayed, 'invalid_grant', `${TOKEN_URN}refresh-token:token-invalid`);
    const third = await exchange(sandbox, refreshForm(String(second.body.refresh_token)));
    assert.equal(third.response.status, 200, 'the rotated token works');
  });
});
