import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { ChartsideError } from '../errors/catalogue.ts';
import { installErrorHandling } from '../errors/fastify.ts';
import { replayBackstop } from './inbound-jwt.ts';

/** A CDS-shaped route whose handler answers without awaiting the caller's replay check. */
async function appWithReplayCheck(replayCheck: () => Promise<void>) {
  const app = Fastify();
  installErrorHandling(app);
  await app.register(
    async (scope) => {
      scope.decorateRequest('cdsCaller', null);
      scope.addHook('onSend', replayBackstop);
      scope.post(
        '/:orgId/cds-services/:serviceId',
        {
          preValidation: async (request) => {
            const check = replayCheck();
            check.catch(() => {});
            request.cdsCaller = {
              caller: { issuer: 'https://ehr.example', jti: 'j-1', tenant: null },
              replayCheck: check,
              awaited: false,
            };
          },
        },
        async () => ({ cards: [] }),
      );
    },
    { prefix: '/api/cds' },
  );
  return app;
}

describe('the CDS replay backstop', () => {
  const call = (app: Awaited<ReturnType<typeof appWithReplayCheck>>) =>
    app.inject({ method: 'POST', url: '/api/cds/org_1/cds-services/statins', payload: {} });

  it('turns a successful answer for a replayed JWT into the refusal', async () => {
    const app = await appWithReplayCheck(async () => {
      throw new ChartsideError('cds_unauthorized', {
        message: 'The CDS Hooks JWT was refused: jti has already been used.',
      });
    });
    const response = await call(app);
    assert.equal(response.statusCode, 401);
    assert.equal(response.json().error.code, 'cds_unauthorized');
    assert.match(response.json().error.message, /jti has already been used/);
    await app.close();
  });

  it('lets the answer through once the check has passed', async () => {
    const app = await appWithReplayCheck(() => new Promise((resolve) => setTimeout(resolve, 20)));
    const response = await call(app);
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { cards: [] });
    await app.close();
  });
});
