/** The JWKS URL, described (routes.ts wires it). */
import { Type } from 'typebox';

/** One public key (RFC 7517 §4): RSA (`n`, `e`) or EC (`crv`, `x`, `y`), never a private part. */
const PublicJwk = Type.Object({
  kty: Type.String(),
  kid: Type.String(),
  alg: Type.String(),
  use: Type.Optional(Type.String()),
  key_ops: Type.Optional(Type.Array(Type.String())),
  n: Type.Optional(Type.String()),
  e: Type.Optional(Type.String()),
  crv: Type.Optional(Type.String()),
  x: Type.Optional(Type.String()),
  y: Type.Optional(Type.String()),
});

export const jwksSchema = {
  summary: 'JSON Web Key Set URL: the public keys of our JWT client assertions',
  tags: ['EHR-facing'],
  response: {
    // Serialized by this schema: a private member (`d`, `p`, …) could never go out.
    200: Type.Object({ keys: Type.Array(PublicJwk) }, { description: 'RFC 7517 §5' }),
  },
} as const;
