import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Bundle, Observation, OperationOutcome, Patient } from 'fhir/r4.js';
import type { RunningSandbox } from './index.ts';
import {
  basicAuth,
  CLIENT_ID,
  codeForm,
  exchange,
  get,
  hostsTokenUrl,
  issueCode,
  PATIENT_WILMA,
  postForm,
  providerApp,
  REDIRECT_URI,
  SECRET,
  sandboxForSuite,
  startTestSandbox,
} from './test-support.ts';

const TIM_PETERS = '12742400';

async function accessToken(sandbox: RunningSandbox, scope: string, patient = PATIENT_WILMA): Promise<string> {
  const { code, verifier } = await issueCode(sandbox, { patient }, { scope });
  const response = await postForm(
    hostsTokenUrl(sandbox),
    { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier },
    { authorization: basicAuth(CLIENT_ID, SECRET) },
  );
  const body = (await response.json()) as { access_token: string };
  return body.access_token;
}

describe('FHIR R4 server (S7)', () => {
  const sandbox = sandboxForSuite(startTestSandbox);
  let userToken: string;
  let patientToken: string;

  before(async () => {
    userToken = await accessToken(
      sandbox,
      'launch user/Patient.read user/Encounter.read user/Observation.read',
    );
    patientToken = await accessToken(sandbox, 'launch patient/Observation.read');
  });

  const fhir = (path: string, token?: string, headers: Record<string, string> = {}) =>
    get(`${sandbox.fhirBaseUrl}/${path}`, token ? { authorization: `Bearer ${token}`, ...headers } : headers);

  it("answers 401 with Cerner's exact WWW-Authenticate and OperationOutcome without a token", async () => {
    const realm = new URL(sandbox.origin).host;
    const attempts: Record<string, string>[] = [
      {},
      { authorization: 'Bearer not-a-jwt' },
      { authorization: `Basic ${userToken}` },
    ];
    for (const headers of attempts) {
      const response = await get(`${sandbox.fhirBaseUrl}/Patient/${PATIENT_WILMA}`, headers);
      assert.equal(response.status, 401);
      assert.equal(
        response.headers.get('www-authenticate'),
        `Bearer realm="${realm}", error="invalid_token", error_description="Token has expired or signature is invalid"`,
      );
      assert.equal(response.headers.get('access-control-allow-origin'), '*');
      assert.deepEqual(await response.json(), {
        resourceType: 'OperationOutcome',
        issue: [
          {
            severity: 'error',
            code: 'login',
            diagnostics: `Bearer realm="${realm}", error="invalid_token"`,
            location: ['http.Authorization'],
          },
        ],
      });
    }
  });

  it("reads a Patient with Cerner's response headers", async () => {
    const response = await fhir(`Patient/${PATIENT_WILMA}`, userToken);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^application\/fhir\+json/);
    assert.equal(response.headers.get('etag'), 'W/"1"');
    assert.ok(response.headers.get('last-modified'));
    assert.match(response.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(response.headers.get('opc-request-id'), response.headers.get('x-request-id'));
    assert.equal(response.headers.get('cache-control'), 'no-cache');
    assert.equal(response.headers.get('vary'), 'Origin');
    const patient = (await response.json()) as Patient;
    assert.equal(patient.id, PATIENT_WILMA);
    assert.equal(patient.birthDate, '1947-03-16');
    assert.equal(patient.name?.[0]?.given?.[0], 'Wilma');
  });

  it('answers a conditional read whose ETag matches with 304 and no body', async () => {
    const current = await fhir(`Patient/${PATIENT_WILMA}`, userToken, { 'if-none-match': 'W/"1"' });
    assert.equal(current.status, 304);
    assert.equal(await current.text(), '');
    assert.equal(current.headers.get('etag'), 'W/"1"');
    const stale = await fhir(`Patient/${PATIENT_WILMA}`, userToken, { 'if-none-match': 'W/"0"' });
    assert.equal(stale.status, 200);
  });

  it('reads the merged record directly but never finds it by search', async () => {
    const read = (await (await fhir('Patient/12742633', userToken)).json()) as Patient;
    assert.equal(read.active, false);
    assert.deepEqual(read.link, [{ other: { reference: 'Patient/12724067' }, type: 'replaced-by' }]);
    const search = (await (await fhir('Patient?family=SMART&given=Joe', userToken)).json()) as Bundle;
    assert.deepEqual(
      search.entry?.map((entry) => entry.resource?.id),
      ['12724067'],
    );
  });

  it('answers 404 with an OperationOutcome for an unknown id', async () => {
    const response = await fhir('Patient/99999999', userToken);
    assert.equal(response.status, 404);
    const outcome = (await response.json()) as OperationOutcome;
    assert.equal(outcome.issue[0]?.code, 'not-found');
  });

  it('answers 406 with an empty body for a non-JSON Accept', async () => {
    const response = await fhir(`Patient/${PATIENT_WILMA}`, userToken, { accept: 'application/fhir+xml' });
    assert.equal(response.status, 406);
    assert.equal(await response.text(), '');
    const ok = await fhir(`Patient/${PATIENT_WILMA}`, userToken, {
      accept: 'application/fhir+json, */*;q=0.1',
    });
    assert.equal(ok.status, 200);
  });

  it('answers 403 insufficient_scope for a resource type the token was not granted', async () => {
    const response = await fhir('Practitioner/12742069', userToken);
    assert.equal(response.status, 403);
    assert.equal(
      response.headers.get('www-authenticate'),
      `Bearer realm="${new URL(sandbox.origin).host}", error="insufficient_scope"`,
    );
    const outcome = (await response.json()) as OperationOutcome;
    assert.match(
      outcome.issue[0]?.diagnostics ?? '',
      /urn:cerner:error:oauth2:resource-access:insufficient-scopes/,
    );
    assert.match(outcome.issue[0]?.diagnostics ?? '', /no_scope_for_resource_path/);
  });

  it('limits patient/ scopes to the launch patient', async () => {
    const own = await fhir(`Observation?patient=${PATIENT_WILMA}`, patientToken);
    assert.equal(own.status, 200);
    const other = await fhir(`Observation?patient=${TIM_PETERS}`, patientToken);
    assert.equal(other.status, 403);
    const otherRead = await fhir('Observation/VS-197292857', patientToken);
    assert.equal(otherRead.status, 403);
    const patientRead = await fhir(`Patient/${PATIENT_WILMA}`, patientToken);
    assert.equal(patientRead.status, 403, 'patient/Observation.read does not cover Patient');
  });

  it('rejects a search without a qualifying parameter with 400', async () => {
    for (const path of ['Patient', 'Patient?gender=female', 'Observation', 'Encounter?status=finished']) {
      const response = await fhir(path, userToken);
      assert.equal(response.status, 400, path);
      const outcome = (await response.json()) as OperationOutcome;
      assert.equal(outcome.issue[0]?.diagnostics, 'no supported search parameters provided');
    }
  });

  it('returns a searchset Bundle with absolute fullUrls', async () => {
    const response = await fhir(`Encounter?patient=${PATIENT_WILMA}`, userToken);
    assert.equal(response.status, 200);
    const bundle = (await response.json()) as Bundle;
    assert.equal(bundle.type, 'searchset');
    assert.match(bundle.id ?? '', /^[0-9a-f-]{36}$/);
    assert.deepEqual(bundle.link, [
      { relation: 'self', url: `${sandbox.fhirBaseUrl}/Encounter?patient=${PATIENT_WILMA}` },
    ]);
    assert.equal(bundle.entry?.length, 1);
    assert.equal(bundle.entry?.[0]?.fullUrl, `${sandbox.fhirBaseUrl}/Encounter/97953483`);
  });

  it('pages Observations newest first through next links (pageContext, direction=NEXT)', async () => {
    const seen: string[] = [];
    const dates: string[] = [];
    let url: string | undefined = `${sandbox.fhirBaseUrl}/Observation?subject=Patient/${TIM_PETERS}&_count=5`;
    let pages = 0;
    while (url) {
      const response = await get(url, { authorization: `Bearer ${userToken}` });
      assert.equal(response.status, 200);
      const bundle = (await response.json()) as Bundle<Observation>;
      pages += 1;
      for (const entry of bundle.entry ?? []) {
        seen.push(entry.resource?.id ?? '');
        dates.push(entry.resource?.effectiveDateTime ?? '');
      }
      const next = bundle.link?.find((link) => link.relation === 'next')?.url;
      if (next) {
        const nextUrl = new URL(next);
        assert.equal(nextUrl.searchParams.get('direction'), 'NEXT');
        assert.match(nextUrl.searchParams.get('pageContext') ?? '', /^[0-9a-f-]{36}$/);
        assert.equal(nextUrl.searchParams.get('subject'), `Patient/${TIM_PETERS}`);
      }
      url = next;
    }
    assert.equal(pages, 3);
    assert.equal(seen.length, 12);
    assert.equal(new Set(seen).size, 12);
    assert.ok(seen.every((id) => id.startsWith('VS-')));
    assert.deepEqual(dates, [...dates].sort().reverse());
  });

  it('answers 400 for an unknown page context', async () => {
    const response = await fhir(
      `Observation?patient=${TIM_PETERS}&pageContext=00000000-0000-4000-8000-000000000000&direction=NEXT`,
      userToken,
    );
    assert.equal(response.status, 400);
  });

  it('filters Observations by LOINC code (panel code only) and category', async () => {
    const bp = (await (
      await fhir(`Observation?patient=${TIM_PETERS}&code=http://loinc.org|85354-9`, userToken)
    ).json()) as Bundle;
    assert.equal(bp.entry?.length, 3);
    const component = (await (
      await fhir(`Observation?patient=${TIM_PETERS}&code=8480-6`, userToken)
    ).json()) as Bundle;
    assert.equal(component.entry, undefined, 'component codes do not match (docs/cerner.md §14)');
    const vitals = (await (
      await fhir(`Observation?patient=${TIM_PETERS}&category=vital-signs&_count=200`, userToken)
    ).json()) as Bundle;
    assert.equal(vitals.entry?.length, 12);
  });

  it('answers 401 once the access token expired', async () => {
    const token = await accessToken(sandbox, 'launch user/Patient.read');
    assert.equal((await fhir(`Patient/${PATIENT_WILMA}`, token)).status, 200);
    await fetch(`${sandbox.origin}/_test/clock`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ advance_seconds: 601 }),
    });
    try {
      assert.equal((await fhir(`Patient/${PATIENT_WILMA}`, token)).status, 401);
    } finally {
      await fetch(`${sandbox.origin}/_test/clock`, { method: 'DELETE' });
    }
  });

  it('answers 403 "Tenant not valid or accessible" for another tenant', async () => {
    const response = await get(`${sandbox.origin}/r4/other-tenant/Patient/${PATIENT_WILMA}`, {
      authorization: `Bearer ${userToken}`,
    });
    assert.equal(response.status, 403);
    const outcome = (await response.json()) as OperationOutcome;
    assert.equal(outcome.issue[0]?.diagnostics, 'Tenant not valid or accessible');
  });

  it('answers CORS preflight requests', async () => {
    const response = await fetch(`${sandbox.fhirBaseUrl}/Patient/${PATIENT_WILMA}`, {
      method: 'OPTIONS',
      headers: { origin: 'http://app.example', 'access-control-request-headers': 'authorization' },
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('access-control-allow-origin'), '*');
    assert.equal(response.headers.get('access-control-allow-headers'), 'authorization');
  });
});

describe('Condition, AllergyIntolerance and MedicationRequest (the API Access table’s other rows)', () => {
  const sandbox = sandboxForSuite(() =>
    startTestSandbox({
      apps: [
        providerApp({
          scopes: ['user/Condition.read', 'user/AllergyIntolerance.read', 'patient/MedicationRequest.read'],
        }),
      ],
    }),
  );

  async function tokenFor(scope: string): Promise<string> {
    const { code, verifier } = await issueCode(sandbox, {}, { scope });
    const { body } = await exchange(sandbox, codeForm(code, verifier));
    return String(body.access_token);
  }

  async function search(path: string, token: string) {
    const response = await fetch(`${sandbox.fhirBaseUrl}/${path}`, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/fhir+json' },
    });
    return {
      status: response.status,
      body: (await response.json()) as { entry?: { resource: { id: string } }[] },
    };
  }

  it('searches each by patient when the scope was granted, and refuses without it', async () => {
    const token = await tokenFor(
      'launch user/Condition.read user/AllergyIntolerance.read patient/MedicationRequest.read',
    );
    const conditions = await search('Condition?patient=12724065', token);
    assert.equal(conditions.status, 200);
    assert.deepEqual(
      conditions.body.entry?.map((entry) => entry.resource.id),
      ['c-12724065-1'],
    );
    const allergies = await search('AllergyIntolerance?patient=12724065', token);
    assert.deepEqual(
      allergies.body.entry?.map((entry) => entry.resource.id),
      ['a-12724065-1'],
    );
    const medications = await search('MedicationRequest?patient=12724065', token);
    assert.deepEqual(
      medications.body.entry?.map((entry) => entry.resource.id),
      ['m-12724065-1'],
    );
    assert.equal(
      (await search('MedicationRequest?patient=12724069', token)).status,
      403,
      'patient/ reaches only Wilma',
    );
    assert.equal((await search('Condition', token)).status, 400, 'a patient is required');
    const withoutScope = await tokenFor('launch user/Condition.read');
    assert.equal((await search('AllergyIntolerance?patient=12724065', withoutScope)).status, 403);
  });
});
