/** Settings → API keys (create shown once, revoke) and Settings → Signing keys (read-only). */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createApiKey, findApiKey, listApiKeys, revokeApiKey } from '../api/api-keys.ts';
import { ChartsideError } from '../errors/catalogue.ts';
import { keyStatesAt } from '../keys/key-ring.ts';
import { listSigningKeys } from '../keys/signing-keys.ts';
import { jwksUrl } from '../launch/urls.ts';
import type { Services } from '../services.ts';
import { redirectAfterPost, sendPage } from './console-http.ts';
import type { ApiKeyForm } from './schemas.ts';
import { sessionOf } from './session-guard.ts';
import { setFlash, takeFlash } from './sessions.ts';
import { operatorActor } from './sign-in.ts';
import { apiKeysPage, maskedKey, revokeKeyPage, type SigningKeyRow, signingKeysPage } from './views/keys.ts';

type IdRequest = FastifyRequest<{ Params: { id: string } }>;

export function keyHandlers(services: Services) {
  const { db, sealer, keyRing, config } = services;

  async function keyOr404(orgId: string, id: string) {
    const key = await findApiKey(db, orgId, id);
    if (!key) throw new ChartsideError('resource_not_found', { message: 'There is no such API key.' });
    return key;
  }

  return {
    async apiKeys(request: FastifyRequest, reply: FastifyReply) {
      const session = sessionOf(request);
      const flash = await takeFlash(db, sealer, session);
      return sendPage(reply, 200, apiKeysPage(session, await listApiKeys(db, session.orgId), flash));
    },

    async createApiKey(request: FastifyRequest<{ Body: ApiKeyForm }>, reply: FastifyReply) {
      const session = sessionOf(request);
      const environment = request.body.environment ?? 'sandbox';
      const created = await createApiKey(db, session.orgId, operatorActor(session.email), environment);
      // The only copy of the key travels in the sealed, read-once flash to the next page.
      await setFlash(db, sealer, session, { apiKey: { prefix: created.prefix, key: created.key } });
      return redirectAfterPost(reply, '/admin/settings/api-keys');
    },

    async confirmRevoke(request: IdRequest, reply: FastifyReply) {
      const session = sessionOf(request);
      const key = await keyOr404(session.orgId, request.params.id);
      if (key.revokedAt) return redirectAfterPost(reply, '/admin/settings/api-keys');
      return sendPage(reply, 200, revokeKeyPage(session, key));
    },

    async revoke(request: IdRequest, reply: FastifyReply) {
      const session = sessionOf(request);
      const key = await revokeApiKey(
        db,
        session.orgId,
        request.params.id,
        operatorActor(session.email),
        request.id,
      );
      // This process stops accepting it now; others within `lookupCacheMs` (config).
      services.apiKeyCache.forget(key.prefix);
      await setFlash(db, sealer, session, {
        notice: `Revoked ${maskedKey(key)}. Apps using it are refused from now on.`,
      });
      return redirectAfterPost(reply, '/admin/settings/api-keys');
    },

    async signingKeys(request: FastifyRequest, reply: FastifyReply) {
      const session = sessionOf(request);
      const rows = await listSigningKeys(db);
      // The same rule the key ring signs by: next → active → retiring → retired.
      const states = keyStatesAt(rows, new Date());
      const keys: SigningKeyRow[] = rows.map((row) => ({
        kid: row.kid,
        alg: row.alg,
        state: states.get(row.kid) ?? 'retired',
        createdAt: row.created_at,
        activatesAt: row.activates_at,
        retiresAt: row.retires_at,
      }));
      return sendPage(reply, 200, signingKeysPage(session, keys, keyRing.jwks, jwksUrl(config)));
    },
  };
}
