import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactUrl } from './logging.ts';

describe('redactUrl', () => {
  it('redacts every OAuth secret parameter of a URL, however its name is spelled', () => {
    assert.equal(
      redactUrl('/api/auth/smart/launch-callback?code=abc&state=xyz'),
      '/api/auth/smart/launch-callback?code=%5BREDACTED%5D&state=%5BREDACTED%5D',
    );
    assert.equal(redactUrl('/x?a=1&launch=L'), '/x?a=1&launch=%5BREDACTED%5D');
    // A percent-encoded name is still the parameter the server reads.
    assert.equal(redactUrl('/x?acc%65ss_token=t'), '/x?access_token=%5BREDACTED%5D');
    assert.equal(
      redactUrl('/app?mb_launch=u&id_token=j'),
      '/app?mb_launch=%5BREDACTED%5D&id_token=%5BREDACTED%5D',
    );
  });

  it('returns a URL without such a parameter as it came', () => {
    assert.equal(
      redactUrl('/fhir/1/Observation?patient=12724066&_count=5'),
      '/fhir/1/Observation?patient=12724066&_count=5',
    );
    assert.equal(redactUrl('/health'), '/health');
    // Names that merely contain a secret's name are parsed and kept as they are.
    assert.equal(redactUrl('/x?postcode=1'), '/x?postcode=1');
  });
});
