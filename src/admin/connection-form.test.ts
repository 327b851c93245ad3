import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SCOPES } from '../settings/connections.ts';
import { readConnectionForm, validateConnectionForm } from './connection-form.ts';

const dev = { mode: 'development' } as const;
const production = { mode: 'production' } as const;

function read(fields: Record<string, string>) {
  return readConnectionForm(fields, 'cerner');
}

describe('the Clinical Workflow form', () => {
  it('reports every problem at once, each named by its label', () => {
    const { errors } = validateConnectionForm(
      read({
        app_launch_url: 'not a url',
        cds_endpoint: 'http://cds.example.org/hooks',
        use_custom_credentials: 'on',
        client_id: '',
        auth_method: 'magic',
        scopes: 'openid user/*.read',
      }),
      dev,
      'both',
      'cerner',
    );
    assert.deepEqual(Object.keys(errors).sort(), [
      'app_launch_url',
      'auth_method',
      'cds_endpoint',
      'client_id',
      'scopes',
    ]);
    assert.equal(errors.app_launch_url, 'App launch URL must be an absolute URL.');
    assert.equal(errors.cds_endpoint, 'CDS endpoint must use https (http is allowed only for localhost).');
    assert.match(errors.client_id ?? '', /Enter the Client ID/);
    assert.match(errors.scopes ?? '', /Wildcard/);
  });

  it('allows loopback http only outside production', () => {
    const fields = { app_launch_url: 'http://localhost:3000/launch-debug', auth_method: 'private_key_jwt' };
    assert.deepEqual(validateConnectionForm(read(fields), dev, 'both', 'cerner').errors, {});
    assert.match(
      validateConnectionForm(read(fields), production, 'both', 'cerner').errors.app_launch_url ?? '',
      /must use https\.$/,
    );
  });

  it('turns the form into changes: empty URLs clear, unchecked toggles are off, scopes normalized', () => {
    const { errors, changes } = validateConnectionForm(
      read({
        app_launch_url: ' https://app.example.org/launch ',
        cds_endpoint: '',
        use_custom_credentials: 'on',
        client_id: ' 52f33973-0000 ',
        auth_method: 'private_key_jwt',
        scopes: '  openid   fhirUser launch openid ',
      }),
      production,
      'both',
      'cerner',
    );
    assert.deepEqual(errors, {});
    assert.deepEqual(changes, {
      appLaunchUrl: 'https://app.example.org/launch',
      cdsEndpoint: null,
      cdsCaching: false,
      useCustomCredentials: true,
      clientId: '52f33973-0000',
      authMethod: 'private_key_jwt',
      signingAlg: 'auto',
      assertionJku: false,
      scopes: 'openid fhirUser launch',
    });
  });

  it('keeps the stored secret unless a new one is typed or removal is ticked (write-only)', () => {
    const base = { auth_method: 'client_secret_basic', scopes: DEFAULT_SCOPES };
    assert.equal(validateConnectionForm(read(base), dev, 'both', 'cerner').changes.clientSecret, undefined);
    assert.equal(
      validateConnectionForm(read({ ...base, client_secret: 's3cret' }), dev, 'both', 'cerner').changes
        .clientSecret,
      's3cret',
    );
    assert.equal(
      validateConnectionForm(read({ ...base, remove_client_secret: 'on' }), dev, 'both', 'cerner').changes
        .clientSecret,
      null,
    );
    assert.match(
      validateConnectionForm(
        read({ ...base, client_secret: 'x', remove_client_secret: 'on' }),
        dev,
        'both',
        'cerner',
      ).errors.client_secret ?? '',
      /not both/,
    );
  });
});
