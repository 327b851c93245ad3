import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cleanErrorDescription, MAX_ERROR_DESCRIPTION } from './error-description.ts';

describe('an EHR’s error_description', () => {
  it('is kept as text: control characters out, whitespace collapsed, capped with an ellipsis', () => {
    assert.equal(cleanErrorDescription('  bad\u0000client\r\n\tsecret  '), 'bad client secret');
    const long = cleanErrorDescription('a'.repeat(1000)) as string;
    assert.equal(long.length, MAX_ERROR_DESCRIPTION);
    assert.ok(long.endsWith('…'));
    assert.equal(
      cleanErrorDescription('<b>kept as is</b>'),
      '<b>kept as is</b>',
      'pages escape it, not this',
    );
  });

  it('is null when absent, empty or not a string', () => {
    for (const value of [undefined, null, '', ' \n ', 42, ['x']])
      assert.equal(cleanErrorDescription(value), null);
  });
});
