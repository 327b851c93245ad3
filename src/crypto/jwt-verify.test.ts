/**
 * The JWT verifier against tokens jose signs (an independent implementation): every algorithm it
 * allows verifies, and every way a token can be wrong is refused with its own reason.
 */
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, type KeyObject, sign as nodeSign } from 'node:crypto';
import { describe, it } from 'node:test';
import { type JWTPayload, SignJWT } from 'jose';
import { type JwtAlgorithm, type JwtExpectations, JwtVerificationError, verifyJwt } from './jwt-verify.ts';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const otherRsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
const NOW = 1_800_000_000;

const PRIVATE: Record<JwtAlgorithm, KeyObject> = {
  RS256: rsa.privateKey,
  RS384: rsa.privateKey,
  RS512: rsa.privateKey,
  PS256: rsa.privateKey,
  PS384: rsa.privateKey,
  PS512: rsa.privateKey,
  ES256: p256.privateKey,
  ES384: p384.privateKey,
  ES512: generateKeyPairSync('ec', { namedCurve: 'P-521' }).privateKey,
};

function sign(alg: JwtAlgorithm, claims: JWTPayload = {}, header: Record<string, unknown> = {}) {
  return new SignJWT({
    iss: 'https://ehr.example',
    aud: 'client-1',
    sub: 'u1',
    iat: NOW,
    exp: NOW + 300,
    ...claims,
  })
    .setProtectedHeader({ alg, kid: 'k1', ...header })
    .sign(PRIVATE[alg]);
}

const expect: JwtExpectations = {
  algorithms: ['RS256', 'RS384', 'PS256', 'ES256', 'ES384'],
  issuer: 'https://ehr.example',
  audience: 'client-1',
  clockToleranceSeconds: 30,
  requiredClaims: ['exp', 'iat', 'sub'],
  now: NOW,
};

const keysOf =
  (...keys: KeyObject[]) =>
  async () =>
    keys;

async function refusal(
  token: string,
  keys = keysOf(rsa.publicKey, p256.publicKey, p384.publicKey),
  e = expect,
) {
  const error = await verifyJwt(token, keys, e).then(
    () => assert.fail('verified'),
    (thrown: unknown) => thrown,
  );
  assert.ok(error instanceof JwtVerificationError, String(error));
  return { failure: error.failure, claim: error.claim };
}

describe('verifying a JWT with node:crypto', () => {
  for (const alg of [
    'RS256',
    'RS384',
    'RS512',
    'PS256',
    'PS384',
    'PS512',
    'ES256',
    'ES384',
    'ES512',
  ] as const) {
    it(`verifies ${alg} and returns the header and claims`, async () => {
      const publicKey = createPublicKey(PRIVATE[alg]);
      const { header, claims } = await verifyJwt(
        await sign(alg, { fhirUser: 'Practitioner/1' }),
        keysOf(publicKey),
        {
          ...expect,
          algorithms: [alg],
        },
      );
      assert.equal(header.alg, alg);
      assert.equal(header.kid, 'k1');
      assert.equal(claims.fhirUser, 'Practitioner/1');
    });
  }

  it('tries each candidate key: a rotated set with two keys and no kid to tell them apart', async () => {
    const token = await sign('RS256', {}, { kid: undefined });
    const { claims } = await verifyJwt(token, keysOf(otherRsa.publicKey, rsa.publicKey), expect);
    assert.equal(claims.sub, 'u1');
  });

  it('refuses an algorithm the caller did not allow, none, and HMAC', async () => {
    assert.deepEqual(await refusal(await sign('ES512')), { failure: 'algorithm', claim: null });
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{}').toString('base64url')}.`;
    assert.equal((await refusal(unsigned)).failure, 'algorithm');
    const hmac = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).sign(new Uint8Array(32));
    assert.equal((await refusal(hmac)).failure, 'algorithm');
  });

  it('never checks a signature with a key of another family or curve', async () => {
    // An RS256 token with only EC keys on offer, an ES384 token with only a P-256 key.
    assert.equal((await refusal(await sign('RS256'), keysOf(p256.publicKey))).failure, 'no_key');
    assert.equal((await refusal(await sign('ES384'), keysOf(p256.publicKey))).failure, 'no_key');
    assert.equal((await refusal(await sign('RS256'), keysOf())).failure, 'no_key');
  });

  it('refuses a signature by another key, and a token changed after signing', async () => {
    assert.equal((await refusal(await sign('RS256'), keysOf(otherRsa.publicKey))).failure, 'signature');
    const [header, , signature] = (await sign('RS256')).split('.');
    const forged = `${header}.${Buffer.from(JSON.stringify({ iss: 'https://ehr.example', aud: 'client-1', sub: 'admin', iat: NOW, exp: NOW + 300 })).toString('base64url')}.${signature}`;
    assert.equal((await refusal(forged)).failure, 'signature');
    assert.equal((await refusal(`${(await sign('ES256')).slice(0, -4)}AAAA`)).failure, 'signature');
  });

  it('refuses what is not a compact JWS with a JSON header and claims, and crit extensions', async () => {
    for (const token of ['a.b', 'a.b.c.d', '!!.e30.', `${Buffer.from('[1]').toString('base64url')}.e30.`]) {
      assert.equal((await refusal(token)).failure, 'malformed', token);
    }
    // jose will not sign an unknown crit; a hostile EHR would.
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const input = `${part({ alg: 'RS256', crit: ['x-hostile'], 'x-hostile': 1 })}.${part({ sub: 'u1', iat: NOW, exp: NOW + 60 })}`;
    const crit = `${input}.${nodeSign('sha256', Buffer.from(input), rsa.privateKey).toString('base64url')}`;
    assert.equal((await refusal(crit)).failure, 'malformed');
  });

  it('checks the claims: exp, nbf, iat, iss, aud and the required ones, with the tolerance', async () => {
    const cases: [JWTPayload, { failure: string; claim: string }][] = [
      [{ exp: NOW - 31 }, { failure: 'expired', claim: 'exp' }],
      [{ nbf: NOW + 31 }, { failure: 'claim', claim: 'nbf' }],
      [{ iat: NOW + 31 }, { failure: 'claim', claim: 'iat' }],
      [{ iss: 'https://elsewhere.example' }, { failure: 'claim', claim: 'iss' }],
      [{ aud: 'another-client' }, { failure: 'claim', claim: 'aud' }],
      [{ aud: ['a', 'b'] }, { failure: 'claim', claim: 'aud' }],
      [{ sub: undefined }, { failure: 'claim', claim: 'sub' }],
      [{ exp: 'tomorrow' as unknown as number }, { failure: 'claim', claim: 'exp' }],
    ];
    for (const [claims, refused] of cases) {
      assert.deepEqual(await refusal(await sign('RS256', claims)), refused, JSON.stringify(claims));
    }
    // Within the tolerance, and an audience among several, pass.
    const late = await sign('RS256', { exp: NOW - 29, aud: ['x', 'client-1'] });
    assert.equal((await verifyJwt(late, keysOf(rsa.publicKey), expect)).claims.sub, 'u1');
  });

  it('with maxAgeSeconds, refuses an old iat and a token without one', async () => {
    const e = { ...expect, maxAgeSeconds: 3600, requiredClaims: [] };
    assert.deepEqual(await refusal(await sign('RS256', { iat: NOW - 3700 }), undefined, e), {
      failure: 'claim',
      claim: 'iat',
    });
    assert.deepEqual(await refusal(await sign('RS256', { iat: undefined }), undefined, e), {
      failure: 'claim',
      claim: 'iat',
    });
  });
});
