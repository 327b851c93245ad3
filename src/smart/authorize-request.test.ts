import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { authorizeUrl, codeChallengeFor, newCodeVerifier } from './authorize-request.ts';

describe('EHR-launch authorize request (SMART App Launch §Obtain authorization code)', () => {
  it('PKCE: the challenge is BASE64URL(SHA-256(verifier)) and the verifier has ≥ 256 bits', async () => {
    const verifier = newCodeVerifier();
    assert.match(verifier, /^[A-Za-z0-9_-]{43,128}$/);
    const expected = createHash('sha256').update(verifier).digest('base64url');
    assert.equal(await codeChallengeFor(verifier), expected);
    assert.notEqual(newCodeVerifier(), verifier);
  });

  it('sends every parameter, with aud equal to iss byte for byte', () => {
    const iss = 'https://fhir-ehr-code.cerner.com/r4/ec2458f2-1e24-41c8-b71b-0e701af7583d';
    const url = authorizeUrl({
      authorizationEndpoint:
        'https://authorization.cerner.com/tenants/t/protocols/oauth2/profiles/smart-v1/personas/provider/authorize',
      clientId: 'client-1',
      redirectUri: 'https://gw.example/api/auth/smart/launch-callback',
      scope: 'openid fhirUser launch user/Patient.read',
      state: 'state-1',
      aud: iss,
      launch: 'launch-1',
      codeChallenge: 'challenge-1',
    });
    assert.deepEqual(Object.fromEntries(url.searchParams), {
      response_type: 'code',
      client_id: 'client-1',
      redirect_uri: 'https://gw.example/api/auth/smart/launch-callback',
      scope: 'openid fhirUser launch user/Patient.read',
      state: 'state-1',
      aud: iss,
      launch: 'launch-1',
      code_challenge: 'challenge-1',
      code_challenge_method: 'S256',
    });
  });

  it('keeps a trailing slash on aud when iss has one', () => {
    const url = authorizeUrl({
      authorizationEndpoint: 'https://ehr.example/authorize?tenant=1',
      clientId: 'c',
      redirectUri: 'https://gw.example/cb',
      scope: 'launch',
      state: 's',
      aud: 'https://ehr.example/fhir/',
      launch: 'l',
      codeChallenge: 'x',
    });
    assert.equal(url.searchParams.get('aud'), 'https://ehr.example/fhir/');
    assert.equal(url.searchParams.get('tenant'), '1', 'the endpoint’s own query is kept');
  });
});
