import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stillSeeded } from './dev-seed.ts';

describe('dev seed: which port-derived values follow the port', () => {
  it('follows a value the seed set and nobody changed', () => {
    const seeded = 'http://localhost:3000/launch-debug';
    assert.equal(stillSeeded(seeded, seeded, '/launch-debug'), true);
    assert.equal(stillSeeded('https://app.example.org/launch', seeded, '/launch-debug'), false);
    assert.equal(stillSeeded(null, seeded, '/launch-debug'), true, 'an empty value is set');
  });

  it('reads a seed file from before it remembered: a local http URL with the seed’s path is the seed’s', () => {
    assert.equal(stillSeeded('http://localhost:3000/launch-debug', undefined, '/launch-debug'), true);
    assert.equal(stillSeeded('http://127.0.0.1:4000/jwk', undefined, '/jwk'), true);
    assert.equal(stillSeeded('https://localhost:3000/launch-debug', undefined, '/launch-debug'), false);
    assert.equal(stillSeeded('http://app.example.org/launch-debug', undefined, '/launch-debug'), false);
    assert.equal(stillSeeded('http://localhost:3000/my-app', undefined, '/launch-debug'), false);
    assert.equal(stillSeeded('not a url', undefined, '/launch-debug'), false);
  });
});
