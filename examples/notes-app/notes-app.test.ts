/**
 * The notes app's own logic: the latest vital signs, the patient banner and SMART styling, and
 * escaping. The whole app, launched from the sandbox in Chromium, is test/browser/notes-app.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Observation, Patient } from 'fhir/r4.js';
import type { LaunchContext } from '../../packages/client/src/index.ts';
import { chartBody, page, patientName } from './pages.ts';
import { createStyleLoader, styleDeclarations } from './smart-style.ts';
import { latestVitals } from './vitals.ts';

const loinc = (code: string) => ({ coding: [{ system: 'http://loinc.org', code }], text: code });
const bp = (
  at: string,
  systolic: number,
  diastolic: number,
  status: Observation['status'] = 'final',
): Observation => ({
  resourceType: 'Observation',
  status,
  code: loinc('85354-9'),
  effectiveDateTime: at,
  component: [
    { code: loinc('8480-6'), valueQuantity: { value: systolic, unit: 'mmHg' } },
    { code: loinc('8462-4'), valueQuantity: { value: diastolic, unit: 'mmHg' } },
  ],
});
const quantity = (code: string, at: string, value: number, unit: string): Observation => ({
  resourceType: 'Observation',
  status: 'final',
  code: loinc(code),
  effectiveDateTime: at,
  valueQuantity: { value, unit },
});

const context: LaunchContext = {
  id: '0b8e5c1a-7f0e-4c39-9d3e-2a51c0f4b7de',
  resource_type: 'launch_context',
  status: 'ready',
  patient: 'Patient/12724065',
  encounter: null,
  fhir_user: 'Practitioner/12742069',
  scope: 'launch user/Patient.read',
  fhir_source: 'fhirsrc_x',
  fhir_base_url: 'http://localhost:4000/r4/t',
  environment: 'sandbox',
  created_at: '2026-12-07T12:00:00.000Z',
};
const wilma: Patient = {
  resourceType: 'Patient',
  name: [{ use: 'official', given: ['Wilma'], family: 'SMART' }],
};
const view = (overrides: Partial<Parameters<typeof chartBody>[0]> = {}) =>
  chartBody({ context, patient: wilma, encounter: null, vitals: [], notes: [], formToken: 't', ...overrides })
    .text;

describe('latest vital signs', () => {
  it('keeps the latest reading of each sign, blood pressure as systolic/diastolic, in chart order', () => {
    const vitals = latestVitals([
      quantity('29463-7', '2025-05-12T14:00:00Z', 71.2, 'kg'),
      bp('2025-05-12T14:00:00Z', 152, 94),
      quantity('8867-4', '2025-05-12T14:00:00Z', 78, 'bpm'),
      bp('2025-05-12T14:30:00Z', 146, 90),
      bp('2025-05-12T15:00:00Z', 200, 120, 'entered-in-error'),
    ]);
    assert.deepEqual(
      vitals.map((vital) => [vital.label, vital.value, vital.at]),
      [
        ['Blood pressure', '146/90 mmHg', '2025-05-12T14:30:00Z'],
        ['Heart rate', '78 bpm', '2025-05-12T14:00:00Z'],
        ['Weight', '71.2 kg', '2025-05-12T14:00:00Z'],
      ],
    );
  });
});

describe('the chart page', () => {
  it('shows the patient banner unless the EHR says it shows one (need_patient_banner: false)', () => {
    assert.match(view(), /<header class="banner"[^>]*>\s*<h1>Wilma SMART<\/h1>/);
    assert.match(view({ context: { ...context, need_patient_banner: true } }), /class="banner"/);
    assert.doesNotMatch(view({ context: { ...context, need_patient_banner: false } }), /class="banner"/);
  });

  it('escapes what it did not write itself', () => {
    const hostile = { resourceType: 'Patient', name: [{ given: ['<script>alert(1)</script>'] }] } as Patient;
    const body = view({ patient: hostile, notes: [{ at: 'now', text: '"><img src=x onerror=alert(1)>' }] });
    assert.doesNotMatch(body, /<script>|<img/);
    assert.match(body, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.match(body, /&quot;&gt;&lt;img src=x/);
  });

  it('names a patient from the official name, else the first, else says it is unknown', () => {
    assert.equal(patientName(wilma), 'Wilma SMART');
    assert.equal(patientName({ resourceType: 'Patient', name: [{ text: 'SMART, Wilma' }] }), 'SMART, Wilma');
    assert.equal(patientName(null), 'Unknown patient');
  });

  it('puts the EHR’s style in one <style> with the response’s nonce, and none without a style', () => {
    const body = chartBody({
      context,
      patient: wilma,
      encounter: null,
      vitals: [],
      notes: [],
      formToken: 't',
    });
    const themed = page('Chart', body, { nonce: 'abc', lines: ['--background: #edeae3;'] });
    assert.match(themed, /<style nonce="abc">:root \{ --background: #edeae3; \}<\/style>/);
    assert.doesNotMatch(page('Chart', body, { nonce: 'abc', lines: [] }), /<style/);
  });
});

describe('SMART styling', () => {
  it('turns plain colors, sizes and fonts into CSS variables, and drops anything else', () => {
    const lines = styleDeclarations({
      color_background: '#edeae3',
      color_text: 'red;} body{display:none',
      dim_font_size: '13px',
      dim_spacing_size: '20px</style><script>',
      font_family_body: 'Georgia, Times, serif',
      color_highlight: 42,
    });
    assert.deepEqual(lines, [
      '--background: #edeae3;',
      '--font-size: 13px;',
      '--font-body: Georgia, Times, serif;',
    ]);
  });

  it('fetches a style once per URL, only http(s), and falls back to none when it cannot', async () => {
    const asked: string[] = [];
    const fakeFetch = (async (url: string | URL | Request) => {
      asked.push(String(url));
      if (String(url).includes('broken')) return new Response('not json');
      return Response.json({ color_background: '#000000' });
    }) as typeof fetch;
    const load = createStyleLoader(fakeFetch);
    assert.deepEqual(await load('https://ehr.example/style.json'), ['--background: #000000;']);
    assert.deepEqual(await load('https://ehr.example/style.json'), ['--background: #000000;']);
    assert.deepEqual(await load('https://ehr.example/broken.json'), []);
    assert.deepEqual(await load('file:///etc/passwd'), []);
    assert.deepEqual(await load(null), []);
    assert.deepEqual(asked, ['https://ehr.example/style.json', 'https://ehr.example/broken.json']);
  });
});
