import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bufferedResponse } from './buffered-response.ts';

describe('bufferedResponse', () => {
  const make = () =>
    bufferedResponse(Buffer.from('{"access_token":"a","token_type":"Bearer"}'), {
      status: 200,
      headers: new Headers({ 'content-type': 'application/json' }),
    });

  it('is a Response with its status and headers, and reads its body once, as JSON or text', async () => {
    const response = make();
    assert.ok(response instanceof Response);
    assert.equal(response.status, 200);
    assert.equal(response.ok, true);
    assert.equal(response.headers.get('content-type'), 'application/json');
    assert.equal(response.bodyUsed, false);
    assert.deepEqual(await response.json(), { access_token: 'a', token_type: 'Bearer' });
    assert.equal(response.bodyUsed, true);
    await assert.rejects(response.text(), TypeError);
    assert.throws(() => response.clone(), TypeError);
  });

  it('clones into an independent body, as a real Response does (oauth4webapi peeks at errors so)', async () => {
    const response = make();
    const copy = response.clone();
    assert.equal(await copy.text(), '{"access_token":"a","token_type":"Bearer"}');
    assert.equal(response.bodyUsed, false);
    assert.equal(
      new TextDecoder().decode(await response.arrayBuffer()),
      '{"access_token":"a","token_type":"Bearer"}',
    );
  });

  it('fails JSON parsing the way Response.json does', async () => {
    const broken = bufferedResponse(Buffer.from('not json'), { status: 200, headers: new Headers() });
    await assert.rejects(broken.json(), SyntaxError);
  });
});
