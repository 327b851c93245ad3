/**
 * Client authentication at a profile server's token, revocation and introspection endpoints:
 * `client_secret_basic`, `client_secret_post` where the policy allows it (Epic), `private_key_jwt`
 * (client-assertion.ts; Epic also reads keys from an allowlisted `jku`), or a public client
 * naming itself. Exactly one method per request; secrets compared in constant time.
 */
import { AssertionFailure, type AssertionRules, verifyClientAssertion } from './client-assertion.ts';
import { formDecode, parseBasic, sameSecret } from './client-auth.ts';
import type { SandboxContext } from './context.ts';
import { ProfileTokenError } from './profile-errors.ts';
import type { ProfileClient, ProfileServer } from './profile-types.ts';

export type ProfileAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none';

export interface ProfileAuthenticated {
  client: ProfileClient;
  method: ProfileAuthMethod;
}

function invalidClient(description: string): ProfileTokenError {
  return new ProfileTokenError('invalid_client', description);
}

function assertionRules(server: ProfileServer): AssertionRules<ProfileClient> {
  return {
    findClient: (iss) => server.client(iss),
    clientIdOf: (client) => client.clientId,
    registeredKeySet: (client) => client.jwksUrl,
    // SMART: a jku must be the registered JWKS URL; Epic also looks keys up at allowlisted JKUs.
    jkuAllowed: (client, jku) => jku === client.jwksUrl || client.jkuAllowlist.includes(jku),
  };
}

function bySecret(server: ProfileServer, id: string | undefined, secret: string | undefined): ProfileClient {
  const client = server.client(id);
  if (client?.secret !== undefined && secret !== undefined && sameSecret(secret, client.secret))
    return client;
  throw invalidClient(client ? 'the client secret is wrong' : 'unknown client');
}

function basic(server: ProfileServer, header: string, fields: Record<string, string>): ProfileAuthenticated {
  const pair = parseBasic(header);
  if (!pair) throw invalidClient('malformed Basic authorization header');
  // RFC 6749 2.3.1 form-encodes id and secret first; many clients skip that, so try both.
  let client: ProfileClient | undefined;
  try {
    client = bySecret(server, formDecode(pair.id), formDecode(pair.secret));
  } catch {
    client = bySecret(server, pair.id, pair.secret);
  }
  if (fields.client_id !== undefined && fields.client_id !== client.clientId)
    throw invalidClient('body client_id differs from the Basic id');
  return { client, method: 'client_secret_basic' };
}

export async function authenticateProfileClient(
  ctx: SandboxContext,
  server: ProfileServer,
  authorization: string | undefined,
  fields: Record<string, string>,
  endpointUrl: string,
): Promise<ProfileAuthenticated> {
  const hasAssertion = fields.client_assertion !== undefined || fields.client_assertion_type !== undefined;
  const hasPostSecret = fields.client_secret !== undefined;
  const methods = [authorization !== undefined, hasAssertion, hasPostSecret].filter(Boolean).length;
  if (methods > 1)
    throw new ProfileTokenError('invalid_request', 'more than one client authentication method');
  if (authorization !== undefined) return basic(server, authorization, fields);
  if (hasPostSecret) {
    if (!server.policy.clientSecretPost)
      throw invalidClient('client_secret in the body is not supported: use HTTP Basic');
    return { client: bySecret(server, fields.client_id, fields.client_secret), method: 'client_secret_post' };
  }
  if (hasAssertion) {
    try {
      const client = await verifyClientAssertion(ctx, fields, endpointUrl, assertionRules(server));
      return { client, method: 'private_key_jwt' };
    } catch (error) {
      if (error instanceof AssertionFailure) throw invalidClient(error.detail);
      throw error;
    }
  }
  const client = server.client(fields.client_id);
  if (!client) throw invalidClient('no client authentication');
  if (client.confidential) throw invalidClient('a confidential client must authenticate');
  return { client, method: 'none' };
}
