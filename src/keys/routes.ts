import type { FastifyInstance } from 'fastify';
import { jwksSchema } from './schemas.ts';
import type { KeyRing } from './signing-keys.ts';

export function keysRoutes(app: FastifyInstance, keyRing: KeyRing): void {
  // The JWKS URL registered with the EHR (guide: Cerner Central "JSON Web Key Set URL").
  app.get('/api/auth/.well-known/jwks', { schema: jwksSchema }, async (_request, reply) => {
    reply.header('cache-control', 'public, max-age=300').header('access-control-allow-origin', '*');
    return keyRing.jwks;
  });
}
