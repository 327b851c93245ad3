/**
 * Route schema failures answer in each surface's format with the route's code and a message of
 * ours: worded by the schema's `x-messages`, else by the failed keyword; never Ajv's text, never
 * the value that failed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { Type } from 'typebox';
import { installErrorHandling } from './fastify.ts';
import { AJV_OPTIONS, MESSAGES, schemaErrorFormatter } from './invalid-input.ts';

async function app() {
  const app = Fastify({ ajv: { customOptions: AJV_OPTIONS }, schemaErrorFormatter });
  installErrorHandling(app);
  const querystring = Type.Object({
    iss: Type.String({
      minLength: 1,
      maxLength: 10,
      [MESSAGES]: { required: 'No iss.', maxLength: 'Long iss.' },
    }),
    count: Type.Optional(Type.Integer()),
    mode: Type.Optional(Type.Unsafe<string>({ type: 'string', enum: ['a', 'b'] })),
  });
  app.get('/api-route', { schema: { querystring } }, async () => ({ ok: true }));
  app.get(
    '/api/auth/smart/page',
    { schema: { querystring }, config: { invalidInput: 'invalid_launch_request' } },
    async () => 'ok',
  );
  const body = Type.Object(
    {
      hook: Type.String({ minLength: 1 }),
      context: Type.Object({ patientId: Type.String() }),
      prefetch: Type.Optional(
        Type.Unsafe<object>({
          type: 'object',
          [MESSAGES]: { code: 'unsupported_api_version', default: 'Custom.' },
        }),
      ),
    },
    { additionalProperties: false, [MESSAGES]: { type: 'Send JSON.' } },
  );
  app.post('/api/things', { schema: { body } }, async (request) => ({
    keys: Object.keys(request.body as object),
  }));
  app.get(
    '/fhir/:id',
    { schema: { params: Type.Object({ id: Type.String({ maxLength: 3 }) }) } },
    async () => ({}),
  );
  return app;
}

const errorOf = (body: string) => (JSON.parse(body) as { error: Record<string, unknown> }).error;

describe('route schema failures', () => {
  it('valid input reaches the handler, typed by coercion', async () => {
    const answer = await (await app()).inject('/api-route?iss=abc&count=3');
    assert.equal(answer.statusCode, 200);
  });

  it('uses the schema’s own message for the failed keyword, with the field as param', async () => {
    const server = await app();
    const missing = await server.inject('/api-route?count=1');
    assert.equal(missing.statusCode, 400);
    assert.deepEqual(
      { ...errorOf(missing.body), request_id: null },
      {
        type: 'invalid_request_error',
        code: 'bad_request',
        message: 'No iss.',
        param: 'iss',
        doc_url: null,
        request_id: null,
      },
    );
    assert.match(String(errorOf(missing.body).request_id), /^req-/);
    const long = await server.inject(`/api-route?iss=${'x'.repeat(11)}`);
    assert.equal(errorOf(long.body).message, 'Long iss.');
  });

  it('words other failures by keyword, naming the field and never echoing the value', async () => {
    const server = await app();
    const cases: [string, string, string][] = [
      ['/api-route?iss=a&count=%3Cscript%3E', 'count', 'count must be an integer.'],
      ['/api-route?iss=a&mode=%3Cb%3E', 'mode', 'mode must be one of a, b.'],
      ['/api-route?iss=a&iss=b', 'iss', 'iss must be a string.'],
    ];
    for (const [url, param, message] of cases) {
      const answer = await server.inject(url);
      assert.equal(answer.statusCode, 400, url);
      assert.deepEqual([errorOf(answer.body).param, errorOf(answer.body).message], [param, message], url);
      assert.doesNotMatch(answer.body, /script|<b>/);
    }
  });

  it('answers with the route’s code, in its surface’s format (an HTML page here)', async () => {
    const answer = await (await app()).inject('/api/auth/smart/page');
    assert.equal(answer.statusCode, 400);
    assert.match(answer.headers['content-type'] as string, /^text\/html/);
    assert.match(answer.body, /No iss\./);
    assert.match(answer.body, /invalid_launch_request/);
  });

  it('a body: nested fields as dotted params, the root’s message for a non-object, a field’s own code', async () => {
    const server = await app();
    const post = (payload: string) =>
      server.inject({
        method: 'POST',
        url: '/api/things',
        payload,
        headers: { 'content-type': 'application/json' },
      });
    const nested = await post(JSON.stringify({ hook: 'h', context: {} }));
    assert.deepEqual(
      [errorOf(nested.body).param, errorOf(nested.body).message],
      ['context.patientId', 'context.patientId is required.'],
    );
    const notObject = await post('[1, 2]');
    assert.deepEqual([errorOf(notObject.body).param, errorOf(notObject.body).message], [null, 'Send JSON.']);
    // Fastify's Ajv removes what a closed object does not declare: the handler never sees it.
    const extra = await post(JSON.stringify({ hook: 'h', context: { patientId: 'p' }, ['x'.repeat(80)]: 1 }));
    assert.equal(extra.statusCode, 200);
    assert.deepEqual(JSON.parse(extra.body), { keys: ['hook', 'context'] });
    const coded = await post(JSON.stringify({ hook: 'h', context: { patientId: 'p' }, prefetch: 3 }));
    assert.deepEqual(
      [errorOf(coded.body).code, errorOf(coded.body).message],
      ['unsupported_api_version', 'Custom.'],
    );
  });

  it('the FHIR surface answers an OperationOutcome', async () => {
    const answer = await (await app()).inject('/fhir/abcdef');
    assert.equal(answer.statusCode, 400);
    const outcome = JSON.parse(answer.body) as {
      resourceType: string;
      issue: { details: { coding: { code: string }[]; text: string } }[];
    };
    assert.equal(outcome.resourceType, 'OperationOutcome');
    assert.equal(outcome.issue[0]?.details.coding[0]?.code, 'bad_request');
    assert.equal(outcome.issue[0]?.details.text, 'id is too long.');
  });
});
